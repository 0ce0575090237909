package dev.gpufleet.worker.devices;

import dev.gpufleet.events.GpuDevice;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static dev.gpufleet.worker.devices.RecordedTools.fixture;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DeviceParsersTest {
    private static final long MIB = 1L << 20;

    interface Parser {
        List<GpuDevice> parse(String text) throws UnreadableOutput;
    }

    static final Parser NVIDIA_WITHOUT_MIG = text -> NvidiaSmi.devices(NvidiaSmi.parseQuery(text), List.of());
    static final Parser NPU = NpuSmi::parse;
    static final Parser ROCM = RocmSmi::parse;
    static final Parser APPLE_16G = text -> AppleGpu.parse(text, "17179869184\n", 9L << 30);

    static Stream<Arguments> recordedOutputs() {
        return Stream.of(
                Arguments.of("nvidia-rtx4090x2.csv", NVIDIA_WITHOUT_MIG, List.of(
                        new GpuDevice(0, "nvidia", "cuda", "NVIDIA GeForce RTX 4090",
                                "GPU-4f6d1a3e-8a52-7b1c-93f0-2d5e6c7a8b90", 24564 * MIB, 18 * MIB, 0.0),
                        new GpuDevice(1, "nvidia", "cuda", "NVIDIA GeForce RTX 4090",
                                "GPU-9b2c4d6e-1f3a-5c7e-8d9f-0a1b2c3d4e5f", 24564 * MIB, 20187 * MIB, 97.0))),
                Arguments.of("npu-smi-310p-duo.txt", NPU, List.of(
                        new GpuDevice(0, "ascend", "npu", "Ascend 310P3", "0000:01:00.0-chip0", 44280 * MIB,
                                1782 * MIB, 0.0),
                        new GpuDevice(1, "ascend", "npu", "Ascend 310P3", "0000:01:00.0-chip1", 44280 * MIB,
                                9652 * MIB, 12.0))),
                Arguments.of("rocm-smi-mi300x.json", ROCM, List.of(
                        new GpuDevice(0, "amd", "rocm", "AMD Instinct MI300X", "0x4a3b1c8f2e6d0917",
                                205822885888L, 71519584256L, 34.0))),
                // recordings published verbatim by others (sources in devices/README.md)
                Arguments.of("npu-smi-910b4-1-x2.hami-webui-issue-47.txt", NPU, List.of(
                        new GpuDevice(0, "ascend", "npu", "Ascend 910B4-1", "0000:xx:00.0-chip0", 65536 * MIB,
                                3197 * MIB, 0.0),
                        new GpuDevice(1, "ascend", "npu", "Ascend 910B4-1", "0000:xx:00.0-chip0", 65536 * MIB,
                                3197 * MIB, 0.0))),
                Arguments.of("rocm-smi-rx7900xt.marimo-issue-9237.json", ROCM, List.of(
                        new GpuDevice(0, "amd", "rocm", "Radeon RX 7900 XT", "rocm-card0", 21458059264L,
                                27856896L, 0.0))),
                Arguments.of("apple-m2.json", APPLE_16G, List.of(
                        new GpuDevice(0, "apple", "mps", "Apple M2", "apple-gpu-0", 16L << 30, 9L << 30, 0.0))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("recordedOutputs")
    void recordedOutputBecomesDevices(String fixture, Parser parser, List<GpuDevice> expected) throws Exception {
        assertEquals(expected, parser.parse(fixture(fixture)));
    }

    @Test
    void eight910bNpusWithTheirHbm() throws Exception {
        List<GpuDevice> npus = NpuSmi.parse(fixture("npu-smi-910b-x8.txt"));

        assertEquals(8, npus.size());
        assertEquals(new GpuDevice(0, "ascend", "npu", "Ascend 910B3", "0000:C1:00.0-chip0", 65536 * MIB,
                3393 * MIB, 0.0), npus.get(0));
        assertEquals(new GpuDevice(4, "ascend", "npu", "Ascend 910B3", "0000:81:00.0-chip0", 65536 * MIB,
                60521 * MIB, 87.0), npus.get(4));
        for (int i = 0; i < 8; i++) {
            assertEquals(i, npus.get(i).index());
        }
    }

    @Test
    void anH100InMigModeBecomesItsMigDevicesAndTheOtherStaysWhole() throws Exception {
        List<NvidiaSmi.Gpu> gpus = NvidiaSmi.parseQuery(fixture("nvidia-h100-mig.csv"));
        List<NvidiaSmi.MigDevice> migs = NvidiaSmi.parseMigDevices(fixture("nvidia-h100-mig.xml"),
                fixture("nvidia-h100-mig-L.txt"));

        assertEquals(List.of(
                new GpuDevice(0, "nvidia", "cuda", "NVIDIA H100 80GB HBM3 MIG 3g.40gb",
                        "MIG-1c2d3e4f-5a6b-5c7d-8e9f-0a1b2c3d4e5f", 40192 * MIB, 37 * MIB, 0.0),
                new GpuDevice(1, "nvidia", "cuda", "NVIDIA H100 80GB HBM3 MIG 2g.20gb",
                        "MIG-2d3e4f5a-6b7c-5d8e-9f0a-1b2c3d4e5f6a", 19968 * MIB, 11 * MIB, 0.0),
                new GpuDevice(2, "nvidia", "cuda", "NVIDIA H100 80GB HBM3 MIG 1g.10gb",
                        "MIG-3e4f5a6b-7c8d-5e9f-0a1b-2c3d4e5f6a7b", 9856 * MIB, 12 * MIB, 0.0),
                new GpuDevice(3, "nvidia", "cuda", "NVIDIA H100 80GB HBM3",
                        "GPU-0a9b8c7d-6e5f-4a3b-2c1d-0e9f8a7b6c5d", 81559 * MIB, 40321 * MIB, 63.0)),
                NvidiaSmi.devices(gpus, migs));
    }

    @Test
    void aRecordedA100ListNamesBothMigSlicesWithTheirUuids() throws Exception {
        Map<String, Map<Integer, String[]>> list =
                NvidiaSmi.parseList(fixture("nvidia-a100-mig-L.nvidia-container-toolkit-issue-203.txt"));

        assertEquals(Set.of("GPU-932bfb2c-849a-2a22-1e84-9eff6bc02b39"), list.keySet());
        Map<Integer, String[]> migs = list.get("GPU-932bfb2c-849a-2a22-1e84-9eff6bc02b39");
        assertEquals(Set.of(0, 1), migs.keySet());
        assertArrayEquals(new String[] {"3g.40gb", "MIG-0929581a-2be6-5dec-bf34-0954c6c529a6"}, migs.get(0));
        assertArrayEquals(new String[] {"3g.40gb", "MIG-3adbed3a-d03d-549f-a016-ba1fd7359f23"}, migs.get(1));
    }

    @Test
    void aRecordedA100XmlInMigModeGivesItsTwoSlicesWithTheirOwnMemory() throws Exception {
        String a100 = "GPU-27b94a00-ed54-5c24-b1fd-1054085de32a";
        // no -L was published with this XML: this listing is ours, only the GPU UUID (from the XML) and the
        // profile (42 SMs and 19968 MiB on an A100-40GB are 3g.20gb) match the recording; the MIG UUIDs are made up
        String list = "GPU 0: NVIDIA A100-SXM4-40GB (UUID: " + a100 + ")\n"
                + "  MIG 3g.20gb     Device  0: (UUID: MIG-00000000-0000-0000-0000-000000000000)\n"
                + "  MIG 3g.20gb     Device  1: (UUID: MIG-11111111-1111-1111-1111-111111111111)\n";

        List<NvidiaSmi.MigDevice> migs =
                NvidiaSmi.parseMigDevices(fixture("nvidia-a100-sxm4-40gb-mig-q-x.netdata-testdata.xml"), list);

        assertEquals(List.of(
                new NvidiaSmi.MigDevice(a100, 0, "3g.20gb", "MIG-00000000-0000-0000-0000-000000000000",
                        19968 * MIB, 19 * MIB),
                new NvidiaSmi.MigDevice(a100, 1, "3g.20gb", "MIG-11111111-1111-1111-1111-111111111111",
                        19968 * MIB, 19 * MIB)), migs);
        // the whole board (40960 MiB, 38 MiB used) is not reported: only its slices are usable while MIG is on
        NvidiaSmi.Gpu board = new NvidiaSmi.Gpu(0, a100, "NVIDIA A100-SXM4-40GB", 40960 * MIB, 38 * MIB, 0.0, true);
        assertEquals(List.of("NVIDIA A100-SXM4-40GB MIG 3g.20gb", "NVIDIA A100-SXM4-40GB MIG 3g.20gb"),
                NvidiaSmi.devices(List.of(board), migs).stream().map(GpuDevice::name).toList());
    }

    @Test
    void aRecordedRtx4090XmlWithoutMigHasNoMigDevices() throws Exception {
        assertEquals(List.of(), NvidiaSmi.parseMigDevices(fixture("nvidia-rtx4090-q-x.netdata-testdata.xml"),
                "GPU 0: NVIDIA GeForce RTX 4090 (UUID: GPU-71d1acc2-662d-2166-bf9f-65272d2fc437)\n"));
    }

    @Test
    void appleIgnoresADiscreteGpuOfAnIntelMac() throws Exception {
        String intelMac = "{\"SPDisplaysDataType\":[{\"_name\":\"AMD Radeon Pro 5500M\","
                + "\"spdisplays_vendor\":\"sppci_vendor_amd\",\"sppci_model\":\"AMD Radeon Pro 5500M\"}]}";
        assertEquals(List.of(), AppleGpu.parse(intelMac, "34359738368", 1));
    }

    static Stream<Arguments> garbled() {
        return Stream.of(
                Arguments.of("nvidia truncated line", NVIDIA_WITHOUT_MIG, fixture("nvidia-garbled-truncated.csv"),
                        "nvidia-smi line 2 ('1, GPU-9b2c4d6e-1f3a-5c7e-8d9f-0a1b2c3d4e5f, NVIDIA GeForce RTX 4090, "
                                + "245'): expected 7 columns"),
                Arguments.of("nvidia non-numeric memory", NVIDIA_WITHOUT_MIG, fixture("nvidia-garbled-memory.csv"),
                        "memory.total '[Insufficient Permissions]' is not a whole number of MiB"),
                Arguments.of("nvidia duplicate index", NVIDIA_WITHOUT_MIG, fixture("nvidia-garbled-duplicate.csv"),
                        "nvidia-smi line 2 ('0, GPU-9b2c4d6e-1f3a-5c7e-8d9f-0a1b2c3d4e5f, NVIDIA GeForce RTX 4090, "
                                + "24564, 20187, 97, [N/A]'): index 0 appears twice"),
                Arguments.of("nvidia empty", NVIDIA_WITHOUT_MIG, "\n", "nvidia-smi printed no GPUs (empty output)"),
                Arguments.of("nvidia used over total", NVIDIA_WITHOUT_MIG,
                        "0, GPU-x, L4, 100, 200, 0, Disabled", "memory.used (200 MiB) is more than memory.total"),
                Arguments.of("nvidia utilisation over 100", NVIDIA_WITHOUT_MIG,
                        "0, GPU-x, L4, 100, 20, 140, Disabled", "utilization.gpu 140 is more than 100 %"),
                Arguments.of("npu truncated", NPU, truncatedNpu(), "npu-smi info line 8 ("),
                Arguments.of("npu non-numeric HBM", NPU,
                        fixture("npu-smi-910b-x8.txt").replace("3393 / 65536", "3393 / ????"),
                        "expected Memory-Usage(MB) and HBM-Usage(MB) as 'used / total'"),
                Arguments.of("npu duplicate chip", NPU, duplicateNpu(), "NPU 0 chip 0 appears twice"),
                Arguments.of("npu empty", NPU, "", "npu-smi info printed nothing"),
                Arguments.of("npu no rows", NPU, "npu-smi: command failed\n", "npu-smi info printed no NPU rows"),
                Arguments.of("rocm truncated", ROCM, fixture("rocm-smi-mi300x.json").substring(0, 300),
                        "rocm-smi printed JSON that cannot be read"),
                Arguments.of("rocm non-numeric memory", ROCM,
                        fixture("rocm-smi-mi300x.json").replace("\"205822885888\"", "\"N/A\""),
                        "rocm-smi card0: 'VRAM Total Memory (B)' is 'N/A', not a whole number"),
                Arguments.of("rocm empty", ROCM, "", "rocm-smi printed no JSON (empty output)"),
                Arguments.of("rocm no cards", ROCM, "{\"system\": {}}", "rocm-smi printed no cardN entries"),
                Arguments.of("apple memsize garbled", (Parser) text -> AppleGpu.parse(text, "sixteen", 0),
                        fixture("apple-m2.json"), "sysctl -n hw.memsize printed 'sixteen', not a number of bytes"),
                Arguments.of("apple truncated", APPLE_16G, fixture("apple-m2.json").substring(0, 120),
                        "system_profiler printed JSON that cannot be read"));
    }

    private static String truncatedNpu() {
        String[] lines = fixture("npu-smi-910b-x8.txt").split("\n");
        // the first chip row cut off after the bus id
        lines[7] = lines[7].substring(0, 44);
        return String.join("\n", lines);
    }

    private static String duplicateNpu() {
        return fixture("npu-smi-910b-x8.txt").replace("| 1     910B3", "| 0     910B3");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("garbled")
    void garbledOutputIsAProblemThatSaysWhere(String name, Parser parser, String text, String expected) {
        UnreadableOutput problem = assertThrows(UnreadableOutput.class, () -> parser.parse(text));
        assertTrue(problem.getMessage().contains(expected), problem.getMessage());
    }

    @Test
    void aMigDeviceMissingFromTheListHasNoUuidAndIsAProblem() {
        String list = fixture("nvidia-h100-mig-L.txt").replaceAll("(?m)^.*1g\\.10gb.*\\R", "");
        UnreadableOutput problem = assertThrows(UnreadableOutput.class,
                () -> NvidiaSmi.parseMigDevices(fixture("nvidia-h100-mig.xml"), list));
        assertEquals("nvidia-smi -q -x, GPU GPU-5f1c2b3a-7d8e-4f90-a1b2-c3d4e5f60718, MIG device 2 is not listed by "
                + "nvidia-smi -L, so it has no MIG UUID", problem.getMessage());
    }

    @Test
    void migXmlThatIsNotXmlIsAProblem() {
        UnreadableOutput problem = assertThrows(UnreadableOutput.class,
                () -> NvidiaSmi.parseMigDevices("<nvidia_smi_log><gpu>", fixture("nvidia-h100-mig-L.txt")));
        assertTrue(problem.getMessage().startsWith("nvidia-smi -q -x printed no readable XML"),
                problem.getMessage());
    }
}
