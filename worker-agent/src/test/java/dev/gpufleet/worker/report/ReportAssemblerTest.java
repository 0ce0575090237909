package dev.gpufleet.worker.report;

import dev.gpufleet.events.GpuDevice;
import dev.gpufleet.events.WorkerReported;
import dev.gpufleet.events.WorkerState;
import dev.gpufleet.worker.devices.DeviceInventory;
import dev.gpufleet.worker.devices.SimulatedDevices;
import dev.gpufleet.worker.host.HostResources;
import dev.gpufleet.worker.identity.WorkerIdentity;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class ReportAssemblerTest {
    private static final WorkerIdentity IDENTITY =
            new WorkerIdentity("0d6f6a4e-1c47-4a43-9a43-4e9d3a0e6a11", "gpu-node-1");
    private static final HostResources HEALTHY_HOST = new HostResources(16, 12.5, 64L << 30, 8L << 30, List.of());
    private static final GpuDevice H100 =
            new GpuDevice(0, "nvidia", "cuda", "NVIDIA H100 80GB HBM3", "SIM-nvidia-0", 80L << 30, 0, 0.0);

    private static AgentSetup setup(Optional<String> labels, DeviceInventory devices) {
        return new AgentSetup(IDENTITY, "10.0.0.5", "linux", "amd64", labels, devices, 5);
    }

    @Test
    void aHealthyWorkerIsReadyWithEverythingFilledIn() {
        WorkerReported report = ReportAssembler.assemble(
                setup(Optional.of("zone=a,tier=gpu"), DeviceInventory.of(List.of(H100))), HEALTHY_HOST, 10150);

        assertEquals(new WorkerReported(IDENTITY.workerId(), "gpu-node-1", "10.0.0.5", 10150, "linux", "amd64",
                Map.of("zone", "a", "tier", "gpu", "os", "linux", "arch", "amd64", "worker-name", "gpu-node-1"),
                16, 12.5, 64L << 30, 8L << 30, List.of(H100), WorkerState.READY, null, List.of(), 5), report);
    }

    @Test
    void builtInLabelsCannotBeOverriddenByConfiguration() {
        WorkerReported report = ReportAssembler.assemble(
                setup(Optional.of("os=windows,arch=riscv,worker-name=other,zone=b"), DeviceInventory.of(List.of())),
                HEALTHY_HOST, 10150);

        assertEquals(Map.of("os", "linux", "arch", "amd64", "worker-name", "gpu-node-1", "zone", "b"),
                report.labels());
        assertEquals(WorkerState.READY, report.state());
        assertNull(report.stateMessage());
    }

    static Stream<Arguments> notReady() {
        DeviceInventory badDevices = SimulatedDevices.parse("nvidia:L4:24GiB;intel:Arc:16GiB");
        HostResources garbledHost = new HostResources(16, 0.0, 64L << 30, 8L << 30,
                List.of("/proc/meminfo has no MemAvailable line"));
        return Stream.of(
                Arguments.of("bad device entry", Optional.empty(), badDevices, HEALTHY_HOST,
                        "gpufleet.worker.simulated-devices entry 2 ('intel:Arc:16GiB'): vendor 'intel' is not one of"
                                + " [amd, apple, ascend, nvidia]"),
                Arguments.of("bad label", Optional.of("zone"), DeviceInventory.of(List.of()), HEALTHY_HOST,
                        "gpufleet.worker.labels: 'zone' is not key=value (e.g. zone=a,tier=gpu)"),
                Arguments.of("garbled /proc", Optional.empty(), DeviceInventory.of(List.of()), garbledHost,
                        "/proc/meminfo has no MemAvailable line"),
                Arguments.of("all at once", Optional.of("zone"), badDevices, garbledHost,
                        badDevices.problem().orElseThrow()
                                + "; gpufleet.worker.labels: 'zone' is not key=value (e.g. zone=a,tier=gpu)"
                                + "; /proc/meminfo has no MemAvailable line"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("notReady")
    void anythingUnreadableMakesItNotReadyWithTheReason(String label, Optional<String> labels,
                                                        DeviceInventory devices, HostResources host,
                                                        String message) {
        WorkerReported report = ReportAssembler.assemble(setup(labels, devices), host, 10150);

        assertEquals(WorkerState.NOT_READY, report.state());
        assertEquals(message, report.stateMessage());
        assertEquals(List.of(), report.gpus());
        assertEquals("gpu-node-1", report.labels().get("worker-name"));
    }

    @ParameterizedTest
    @CsvSource({"PT5S, 5", "PT1S, 1", "PT0.5S, 1", "PT1.2S, 2", "PT1M, 60"})
    void intervalInWholeSecondsRoundedUp(Duration interval, int seconds) {
        assertEquals(seconds, ReportAssembler.intervalSeconds(interval));
    }

    @Test
    void theHeartbeatListsTheConfiguredEngineVersionsAndABadSettingIsNotReady() {
        WorkerReported report = ReportAssembler.assemble(setup(Optional.empty(), DeviceInventory.of(List.of(H100))),
                HEALTHY_HOST, 10150, List.of(), "vllm:0.8.5=/opt/vllm-0.8.5/bin/vllm");
        assertEquals(List.of(new dev.gpufleet.events.BackendVersion("vllm", "0.8.5", "/opt/vllm-0.8.5/bin/vllm",
                "agent")), report.backendVersions());
        assertEquals(WorkerState.READY, report.state());

        WorkerReported bad = ReportAssembler.assemble(setup(Optional.empty(), DeviceInventory.of(List.of(H100))),
                HEALTHY_HOST, 10150, List.of(), "vllm=0.8.5");
        assertEquals(WorkerState.NOT_READY, bad.state());
        assertEquals("gpufleet.worker.backend-versions entry 'vllm=0.8.5' is not <backend>:<version>=<absolute path>"
                + " with backend one of llama-box, vllm, vox-box, mindie", bad.stateMessage());
    }
}
