package dev.gpufleet.worker.instances;

import dev.gpufleet.events.GpuDevice;
import dev.gpufleet.events.ResourceClaim;
import dev.gpufleet.worker.devices.CommandRunner;
import dev.gpufleet.worker.devices.NvidiaComputeApps;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UsageSamplerTest {
    private static final long MIB = 1L << 20;
    /** As nvidia-smi prints it: two processes of one backend on two GPUs, and a foreign one. */
    private static final String COMPUTE_APPS = """
            4242, GPU-aaaa-1111, 18432
            4243, GPU-bbbb-2222, 17000
            9999, GPU-aaaa-1111, 2048
            4244, GPU-aaaa-1111, [N/A]
            """;
    private static final List<GpuDevice> GPUS = List.of(
            new GpuDevice(0, "nvidia", "cuda", "NVIDIA H100 80GB HBM3", "GPU-aaaa-1111", 80L << 30, 0, 0),
            new GpuDevice(1, "nvidia", "cuda", "NVIDIA H100 80GB HBM3", "GPU-bbbb-2222", 80L << 30, 0, 0));

    @Test
    void computeAppsAreReadPerPidAndGpuSkippingWhatIsNotANumber() {
        Map<Long, Map<String, Long>> parsed = NvidiaComputeApps.parse(COMPUTE_APPS);
        assertEquals(Map.of("GPU-aaaa-1111", 18432 * MIB), parsed.get(4242L));
        assertEquals(Map.of("GPU-aaaa-1111", 2048 * MIB), parsed.get(9999L));
        assertTrue(!parsed.containsKey(4244L));
    }

    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> procStatus() {
        return java.util.stream.Stream.of(
                org.junit.jupiter.params.provider.Arguments.of("VmRSS:\t  123456 kB", 126418944L),
                org.junit.jupiter.params.provider.Arguments.of("Name:\tllama-box\nVmRSS:    1024 kB\nVmSwap: 0 kB",
                        1048576L));
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.MethodSource("procStatus")
    void residentMemoryComesFromProcStatus(String status, long bytes) {
        assertEquals(Optional.of(bytes), UsageSampler.residentBytes(status));
    }

    @Test
    void theProcessTreeIsMeasuredOnItsOwnGpusOnly() {
        ProcessHandle self = ProcessHandle.current();
        CommandRunner nvidiaSmi = new CommandRunner() {
            @Override
            public Optional<String> find(String tool) {
                return Optional.of("/usr/bin/" + tool);
            }

            @Override
            public String run(List<String> command, Duration timeout) {
                assertEquals(NvidiaComputeApps.QUERY, command);
                return COMPUTE_APPS.replace("4242", Long.toString(self.pid()));
            }
        };
        UsageSampler sampler = new UsageSampler(pid -> pid == self.pid()
                ? Optional.of("VmRSS:\t 2048 kB") : Optional.empty(), nvidiaSmi);

        ResourceClaim usage = sampler.sample(self, GPUS, List.of(0));

        assertEquals(new ResourceClaim(2 * MIB, Map.of(0, 18432 * MIB)), usage,
                "GPU 1 is not the instance's; pid 9999 is not its process");
    }

    @Test
    void nothingReadableIsNoMeasurement() {
        UsageSampler sampler = new UsageSampler(pid -> Optional.empty(), null);
        assertNull(sampler.sample(ProcessHandle.current(), GPUS, List.of(0)));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "1000 | 1005 | false",
            "1000 | 1011 | true",
            "1000 | 980  | true",
    })
    void onlyAChangeOfMoreThanOnePercentIsReportedAgain(long before, long now, boolean changed) {
        assertEquals(changed, UsageReports.changed(new ResourceClaim(before, Map.of(0, before)),
                new ResourceClaim(now, Map.of(0, before))));
        assertTrue(UsageReports.changed(null, new ResourceClaim(now, Map.of())));
    }
}
