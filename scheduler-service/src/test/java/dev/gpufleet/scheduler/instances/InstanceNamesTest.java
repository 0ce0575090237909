package dev.gpufleet.scheduler.instances;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InstanceNamesTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            "qwen2                         | qwen2",
            "Qwen2.5-0.5B-Instruct         | qwen2-5-0-5b-instruct",
            "  --My  Model__v2--           | my-model-v2",
            "日本語                         | instance",
            "''                            | instance",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-bcdef | aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-bc",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-b   | aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    })
    void prefixIsTheModelNameAsADnsLabel(String modelName, String prefix) {
        assertEquals(prefix, InstanceNames.prefix(modelName));
    }

    @Test
    void endsWithSixRandomHexDigits() {
        assertEquals("qwen2-5-" + String.format("%06x", new Random(7).nextInt(1 << 24)),
                InstanceNames.of("Qwen2.5", new Random(7)));
        assertTrue(InstanceNames.of("m", new Random()).matches("m-[0-9a-f]{6}"));
    }
}
