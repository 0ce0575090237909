package dev.gpufleet.registry.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GgmlTypeTest {
    /** Bits per weight as llama.cpp's quantize tool documents them. */
    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "F32, 0, 32", "F16, 1, 16", "BF16, 30, 16", "Q4_0, 2, 4.5", "Q4_1, 3, 5", "Q5_0, 6, 5.5", "Q5_1, 7, 6",
        "Q8_0, 8, 8.5", "Q2_K, 10, 2.625", "Q3_K, 11, 3.4375", "Q4_K, 12, 4.5", "Q5_K, 13, 5.5", "Q6_K, 14, 6.5625",
        "IQ2_XXS, 16, 2.0625", "IQ2_XS, 17, 2.3125", "IQ3_XXS, 18, 3.0625", "IQ1_S, 19, 1.5625", "IQ4_NL, 20, 4.5",
        "IQ3_S, 21, 3.4375", "IQ2_S, 22, 2.5625", "IQ4_XS, 23, 4.25", "IQ1_M, 29, 1.75", "TQ1_0, 34, 1.6875",
        "TQ2_0, 35, 2.0625", "MXFP4, 39, 4.25"
    })
    void bitsPerWeight(GgmlType type, int id, double bitsPerWeight) {
        assertEquals(type, GgmlType.byId(id));
        assertEquals(bitsPerWeight, type.bytesFor(256 * 32) * 8.0 / (256 * 32), 1e-9);
    }

    @ParameterizedTest
    @CsvSource({"4", "5", "40", "-1", "1000"})
    void retiredAndUnknownIds(int id) {
        assertNull(GgmlType.byId(id));
    }
}
