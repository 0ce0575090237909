package dev.gpufleet.worker.report;

import dev.gpufleet.events.WorkerReported;
import dev.gpufleet.events.WorkerState;
import dev.gpufleet.worker.devices.DeviceDetector;
import dev.gpufleet.worker.devices.DeviceInventory;
import dev.gpufleet.worker.devices.DeviceSource;
import dev.gpufleet.worker.devices.ProcessCommandRunner;
import dev.gpufleet.worker.host.HostResources;
import dev.gpufleet.worker.identity.WorkerIdentity;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the heartbeat does each beat: sample the devices, put them in the setup, assemble. */
class DeviceReadinessTest {
    private static final HostResources HOST = new HostResources(8, 1.0, 32L << 30, 4L << 30, List.of());

    @Test
    void aBrokenNvidiaSmiMakesTheWorkerNotReadyAndAFixedOneReadyAgain(@TempDir Path bin) throws Exception {
        Path tool = bin.resolve("nvidia-smi");
        Files.writeString(tool, "#!/bin/sh\necho 'Failed to initialize NVML: Driver/library version mismatch'\n"
                + "exit 18\n");
        Files.setPosixFilePermissions(tool, PosixFilePermissions.fromString("rwxr-xr-x"));
        DeviceSource source = DeviceSource.choose(Optional.empty(), Optional.empty(),
                new DeviceDetector(new ProcessCommandRunner(bin.toString()), Duration.ofSeconds(5), () -> 0L));
        AgentSetup setup = new AgentSetup(new WorkerIdentity("0d6f6a4e-1c47-4a43-9a43-4e9d3a0e6a11", "gpu-1"),
                "10.0.0.5", "linux", "amd64", Optional.empty(), DeviceInventory.of(List.of()), 5);

        WorkerReported broken = ReportAssembler.assemble(setup.withDevices(source.sample()), HOST, 10150);

        assertEquals(WorkerState.NOT_READY, broken.state());
        assertTrue(broken.stateMessage().startsWith("device detection: nvidia-smi --query-gpu="),
                broken.stateMessage());
        assertTrue(broken.stateMessage().endsWith("exited with status 18: Failed to initialize NVML: "
                + "Driver/library version mismatch"), broken.stateMessage());
        assertEquals(List.of(), broken.gpus());

        Files.writeString(tool, "#!/bin/sh\necho '0, GPU-1, NVIDIA L4, 23034, 1200, 5, [N/A]'\n");
        WorkerReported fixed = ReportAssembler.assemble(setup.withDevices(source.sample()), HOST, 10150);

        assertEquals(WorkerState.READY, fixed.state());
        assertNull(fixed.stateMessage());
        assertEquals(1200L << 20, fixed.gpus().get(0).memoryUsedBytes());
    }
}
