package dev.gpufleet.worker.devices;

import dev.gpufleet.events.GpuDevice;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import static dev.gpufleet.worker.devices.RecordedTools.fixture;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DeviceDetectorTest {
    private static final long MIB = 1L << 20;

    private static DeviceInventory detect(RecordedTools tools) {
        return new DeviceDetector(tools, Duration.ofSeconds(5), () -> 0L).detect();
    }

    @Test
    void noVendorToolMeansACpuOnlyHostThatIsFine() {
        assertEquals(DeviceInventory.of(List.of()), detect(new RecordedTools()));
    }

    @Test
    void withoutMigOnlyTheQueryRuns() {
        RecordedTools tools = new RecordedTools().prints(NvidiaSmi.QUERY, fixture("nvidia-rtx4090x2.csv"));

        DeviceInventory inventory = detect(tools);

        assertEquals(Optional.empty(), inventory.problem());
        assertEquals(2, inventory.gpus().size());
        assertEquals(List.of(String.join(" ", NvidiaSmi.QUERY)), tools.ran);
    }

    @Test
    void aMigGpuIsAskedForItsMigDevices() {
        RecordedTools tools = new RecordedTools()
                .prints(NvidiaSmi.QUERY, fixture("nvidia-h100-mig.csv"))
                .prints(NvidiaSmi.XML, fixture("nvidia-h100-mig.xml"))
                .prints(NvidiaSmi.LIST, fixture("nvidia-h100-mig-L.txt"));

        DeviceInventory inventory = detect(tools);

        assertEquals(Optional.empty(), inventory.problem());
        assertEquals(List.of("MIG-1c2d3e4f-5a6b-5c7d-8e9f-0a1b2c3d4e5f", "MIG-2d3e4f5a-6b7c-5d8e-9f0a-1b2c3d4e5f6a",
                "MIG-3e4f5a6b-7c8d-5e9f-0a1b-2c3d4e5f6a7b", "GPU-0a9b8c7d-6e5f-4a3b-2c1d-0e9f8a7b6c5d"),
                inventory.gpus().stream().map(GpuDevice::uuid).toList());
    }

    @Test
    void devicesOfSeveralVendorsAreIndexedByPositionInTheReport() {
        RecordedTools tools = new RecordedTools()
                .prints(NvidiaSmi.QUERY, fixture("nvidia-rtx4090x2.csv"))
                .prints(RocmSmi.QUERY, fixture("rocm-smi-mi300x.json"));

        DeviceInventory inventory = detect(tools);

        assertEquals(List.of(0, 1, 2), inventory.gpus().stream().map(GpuDevice::index).toList());
        assertEquals(new GpuDevice(2, "amd", "rocm", "AMD Instinct MI300X", "0x4a3b1c8f2e6d0917", 205822885888L,
                71519584256L, 34.0), inventory.gpus().get(2));
    }

    @Test
    void anAsendHostWithEightNpus() {
        DeviceInventory inventory = detect(new RecordedTools().prints(NpuSmi.INFO, fixture("npu-smi-910b-x8.txt")));
        assertEquals(8, inventory.gpus().size());
        assertEquals(65536 * MIB, inventory.gpus().get(7).memoryTotalBytes());
    }

    static Stream<Arguments> brokenTools() {
        return Stream.of(
                Arguments.of(new RecordedTools().fails(NvidiaSmi.QUERY, String.join(" ", NvidiaSmi.QUERY)
                                + " exited with status 9: NVIDIA-SMI has failed because it couldn't communicate with "
                                + "the NVIDIA driver."),
                        "device detection: nvidia-smi --query-gpu=index,uuid,name,memory.total,memory.used,"
                                + "utilization.gpu,mig.mode.current --format=csv,noheader,nounits exited with "
                                + "status 9: NVIDIA-SMI has failed"),
                Arguments.of(new RecordedTools().fails(NpuSmi.INFO, "npu-smi info did not finish within 5 s"),
                        "device detection: npu-smi info did not finish within 5 s"),
                Arguments.of(new RecordedTools().prints(RocmSmi.QUERY, "Segmentation fault\n"),
                        "device detection: rocm-smi printed no JSON: 'Segmentation fault'"),
                Arguments.of(new RecordedTools().prints(NvidiaSmi.QUERY, fixture("nvidia-h100-mig.csv"))
                                .prints(NvidiaSmi.XML, "").prints(NvidiaSmi.LIST, fixture("nvidia-h100-mig-L.txt")),
                        "device detection: nvidia-smi -q -x printed no readable XML"),
                Arguments.of(new RecordedTools().prints(NvidiaSmi.QUERY, fixture("nvidia-garbled-duplicate.csv"))
                                .prints(NpuSmi.INFO, fixture("npu-smi-910b-x8.txt")),
                        "device detection: nvidia-smi line 2 ('0, GPU-9b2c4d6e"));
    }

    @ParameterizedTest
    @MethodSource("brokenTools")
    void aToolThatIsThereButBrokenReportsNoDevicesAndSaysWhy(RecordedTools tools, String expected) {
        DeviceInventory inventory = detect(tools);

        assertEquals(List.of(), inventory.gpus(), "no devices rather than some under shifted indexes");
        String problem = inventory.problem().orElseThrow();
        assertTrue(problem.startsWith(expected), problem);
    }
}
