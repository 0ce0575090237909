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

    /** Each NPU's {@code hccn_tool -i n -ip -g}: the recorded layout, with NPU n's address 29.11.36.(2+n). */
    private static RecordedTools ascendWithDeviceIps(int npus) {
        RecordedTools tools = new RecordedTools().prints(NpuSmi.INFO, fixture("npu-smi-910b-x8.txt"));
        for (int n = 0; n < npus; n++) {
            tools.prints(HccnTool.ipQuery(n), fixture("hccn-tool-ip-g.txt").replace("29.11.36.2", "29.11.36." + (2 + n)));
        }
        return tools;
    }

    @Test
    void eachNpuCarriesTheDeviceIpHccnToolGives() {
        DeviceInventory inventory = detect(ascendWithDeviceIps(8));

        assertEquals(Optional.empty(), inventory.problem());
        assertEquals(List.of("29.11.36.2", "29.11.36.3", "29.11.36.4", "29.11.36.5", "29.11.36.6", "29.11.36.7",
                "29.11.36.8", "29.11.36.9"), inventory.gpus().stream().map(GpuDevice::deviceIp).toList());
    }

    @Test
    void anNpuWithoutADeviceIpHasNoneAndTheWorkerStaysReady() {
        RecordedTools tools = ascendWithDeviceIps(8).fails(HccnTool.ipQuery(5),
                "hccn_tool -i 5 -ip -g exited with status 255: Command execute failed!")
                .prints(HccnTool.ipQuery(6), "ipaddr:\nnetmask:\n").prints(HccnTool.ipQuery(7), "garbage\n");

        DeviceInventory inventory = detect(tools);

        assertEquals(Optional.empty(), inventory.problem());
        assertEquals(8, inventory.gpus().size());
        assertEquals(java.util.Arrays.asList("29.11.36.2", "29.11.36.3", "29.11.36.4", "29.11.36.5", "29.11.36.6",
                null, null, null), inventory.gpus().stream().map(GpuDevice::deviceIp).toList());
    }

    @Test
    void withoutHccnToolNpusHaveNoDeviceIp() {
        DeviceInventory inventory = detect(new RecordedTools().prints(NpuSmi.INFO, fixture("npu-smi-910b-x8.txt")));
        assertTrue(inventory.gpus().stream().allMatch(gpu -> gpu.deviceIp() == null), inventory.gpus()::toString);
    }

    @Test
    void deviceIpsAreAskedAgainOnlyAfterTheirTimeToLive() {
        RecordedTools tools = ascendWithDeviceIps(8);
        long[] now = {0};
        DeviceDetector detector = new DeviceDetector(tools, Duration.ofSeconds(5), () -> 0L, () -> now[0]);

        detector.detect();
        now[0] += DeviceDetector.DEVICE_IP_TTL.toNanos() - 1;
        DeviceInventory cached = detector.detect();
        long asked = tools.ran.stream().filter(c -> c.startsWith(HccnTool.TOOL)).count();
        now[0] += 1;
        detector.detect();

        assertEquals(8, asked, "the second beat reuses what the first was told");
        assertEquals("29.11.36.9", cached.gpus().get(7).deviceIp());
        assertEquals(16, tools.ran.stream().filter(c -> c.startsWith(HccnTool.TOOL)).count());
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
