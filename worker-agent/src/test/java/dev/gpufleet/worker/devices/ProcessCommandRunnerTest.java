package dev.gpufleet.worker.devices;

import dev.gpufleet.worker.devices.CommandRunner.ToolFailure;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static dev.gpufleet.worker.devices.RecordedTools.fixture;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Real processes: shell scripts named like the vendor tools on a temporary search path. */
class ProcessCommandRunnerTest {
    @TempDir
    Path bin;

    private void tool(String name, String script) throws Exception {
        Path file = bin.resolve(name);
        Files.writeString(file, "#!/bin/sh\n" + script + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @Test
    void anNvidiaSmiScriptPrintingAFixtureIsDetected() throws Exception {
        Path output = bin.resolve("output.csv");
        Files.writeString(output, fixture("nvidia-rtx4090x2.csv"));
        // the script checks it was asked the query the parser expects
        tool("nvidia-smi", "[ \"$1\" = '" + NvidiaSmi.QUERY.get(1) + "' ] || { echo \"unexpected $*\" >&2; exit 2; }\n"
                + "cat '" + output + "'");

        DeviceInventory inventory = new DeviceDetector(new ProcessCommandRunner(bin.toString()),
                Duration.ofSeconds(5), () -> 0L).detect();

        assertEquals(Optional.empty(), inventory.problem());
        assertEquals(List.of("NVIDIA GeForce RTX 4090", "NVIDIA GeForce RTX 4090"),
                inventory.gpus().stream().map(g -> g.name()).toList());
        assertEquals(97.0, inventory.gpus().get(1).utilizationPercent());
    }

    @Test
    void aMissingToolIsNotFound() {
        assertEquals(Optional.empty(), new ProcessCommandRunner(bin.toString()).find("npu-smi"));
        assertEquals(Optional.empty(), new ProcessCommandRunner("").find("npu-smi"));
    }

    @Test
    void aFailingToolSaysItsStatusAndWhatItPrinted() throws Exception {
        tool("npu-smi", "echo 'dcmi module initialize failed. ret is -8005' >&2\nexit 4");

        ToolFailure failure = assertThrows(ToolFailure.class,
                () -> new ProcessCommandRunner(bin.toString()).run(NpuSmi.INFO, Duration.ofSeconds(5)));

        assertEquals("npu-smi info exited with status 4: dcmi module initialize failed. ret is -8005",
                failure.getMessage());
    }

    @Test
    void aHangingToolIsKilledAtTheTimeout() throws Exception {
        tool("rocm-smi", "sleep 30");

        long start = System.nanoTime();
        ToolFailure failure = assertThrows(ToolFailure.class,
                () -> new ProcessCommandRunner(bin.toString()).run(RocmSmi.QUERY, Duration.ofMillis(300)));
        long millis = (System.nanoTime() - start) / 1_000_000;

        assertTrue(failure.getMessage().endsWith("did not finish within 300 ms"), failure.getMessage());
        assertTrue(millis < 5_000, "returned after " + millis + " ms");
    }

    @Test
    void aHangingToolMakesTheDetectorReportAProblemNotThrow() throws Exception {
        tool("nvidia-smi", "sleep 30");

        DeviceInventory inventory = new DeviceDetector(new ProcessCommandRunner(bin.toString()),
                Duration.ofMillis(300), () -> 0L).detect();

        assertTrue(inventory.problem().orElseThrow().contains("nvidia-smi --query-gpu="), inventory.toString());
        assertTrue(inventory.problem().orElseThrow().endsWith("did not finish within 300 ms"));
    }
}
