package dev.gpufleet.worker.devices;

import dev.gpufleet.events.GpuDevice;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ResourcesFileTest {
    private static final long GIB = 1L << 30;

    @Test
    void aFileWithEveryField() throws Exception {
        String json = "{\"gpus\": [{\"vendor\": \"nvidia\", \"name\": \"NVIDIA L40S\", \"memory_total\": \"48GiB\","
                + " \"memory_used\": \"1GiB\", \"uuid\": \"GPU-abc\"},"
                + " {\"vendor\": \"Ascend\", \"name\": \"Ascend 910B4\", \"memory_total\": 34359738368,"
                + " \"type\": \"npu\"}]}";

        assertEquals(List.of(
                new GpuDevice(0, "nvidia", "cuda", "NVIDIA L40S", "GPU-abc", 48 * GIB, GIB, 0.0),
                new GpuDevice(1, "ascend", "npu", "Ascend 910B4", "STATIC-ascend-1", 32 * GIB, 0, 0.0)),
                ResourcesFile.parse(json, "f.json"));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "'{\"gpus\": [{\"name\": \"x\", \"memory_total\": \"1GiB\"}]}'   | f.json: gpus[0].vendor is required",
            "'{\"gpus\": [{\"vendor\": \"intel\", \"name\": \"x\", \"memory_total\": \"1GiB\"}]}' | f.json: gpus[0].vendor 'intel' is not one of [amd, apple, ascend, nvidia]",
            "'{\"gpus\": [{\"vendor\": \"amd\", \"name\": \"x\"}]}'           | f.json: gpus[0].memory_total is required",
            "'{\"gpus\": [{\"vendor\": \"amd\", \"name\": \"x\", \"memory_total\": \"lots\"}]}' | f.json: gpus[0].memory_total: 'lots' is not a size",
            "'{\"gpus\": [{\"vendor\": \"amd\", \"name\": \"x\", \"memory_total\": 0}]}' | f.json: gpus[0].memory_total must be more than 0",
            "'{\"gpus\": [{\"vendor\": \"amd\", \"name\": \"x\", \"memory_total\": \"1GiB\", \"memory_used\": \"2GiB\"}]}' | f.json: gpus[0].memory_used (2147483648 B) is more than memory_total",
            "'{\"gpus\": [{\"vendor\": \"amd\", \"name\": \"x\", \"memory_total\": \"1GiB\", \"memroy_used\": 1}]}' | f.json: gpus[0].memroy_used is not known (allowed: [memory_total, memory_used, name, type, uuid, vendor])",
            "'{\"gpus\": [{\"vendor\": \"amd\", \"name\": 7, \"memory_total\": \"1GiB\"}]}' | f.json: gpus[0].name must be a non-empty string",
            "'{\"gpus\": {}}'                                                  | f.json: gpus must be a list",
            "'{\"devices\": []}'                                               | f.json: field 'devices' is not known (allowed: gpus)",
            "'[1, 2]'                                                          | f.json must hold a JSON object",
            "'{\"gpus\": [ '                                                   | f.json is not JSON",
    })
    void badContentNamesTheField(String json, String expected) {
        UnreadableOutput problem = assertThrows(UnreadableOutput.class, () -> ResourcesFile.parse(json, "f.json"));
        assertTrue(problem.getMessage().startsWith(expected), problem.getMessage());
    }

    @Test
    void theSourceReadsTheFileEveryTimeSoAFixTakesEffect(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("resources.json");
        DeviceSource source = DeviceSource.choose(Optional.empty(), Optional.of(file.toString()),
                new DeviceDetector(new RecordedTools(), java.time.Duration.ofSeconds(1), () -> 0L));

        assertTrue(source.sample().problem().orElseThrow().startsWith("gpufleet.worker.resources-file " + file
                + " cannot be read"));
        Files.writeString(file, "{\"gpus\": [{\"vendor\": \"nvidia\", \"name\": \"T4\", \"memory_total\": \"16GB\"}]}");
        assertEquals(List.of(new GpuDevice(0, "nvidia", "cuda", "T4", "STATIC-nvidia-0", 16_000_000_000L, 0, 0.0)),
                source.sample().gpus());
    }

    @Test
    void simulatedDevicesWinOverTheFileAndTheTools() {
        RecordedTools tools = new RecordedTools().prints(NvidiaSmi.QUERY, "garbage");
        DeviceSource source = DeviceSource.choose(Optional.of("amd:W7900:48GiB"), Optional.of("/nonexistent"),
                new DeviceDetector(tools, java.time.Duration.ofSeconds(1), () -> 0L));

        assertEquals(Optional.empty(), source.sample().problem());
        assertEquals("W7900", source.sample().gpus().get(0).name());
        assertEquals(List.of(), tools.ran);
    }
}
