package dev.gpufleet.worker.host;

import dev.gpufleet.worker.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HostProbeTest {
    @TempDir
    Path proc;

    @Test
    void readsProcAndComputesCpuFromTheDeltaBetweenSamples() throws Exception {
        Files.writeString(proc.resolve("meminfo"), Fixtures.text("proc/meminfo-debian12-24g.txt"));
        Files.writeString(proc.resolve("stat"), Fixtures.text("proc/stat-debian12-2cpu-t0.txt"));
        HostProbe probe = new HostProbe(proc);

        HostResources first = probe.sample();
        Files.writeString(proc.resolve("stat"), Fixtures.text("proc/stat-debian12-2cpu-t1.txt"));
        HostResources second = probe.sample();

        assertEquals(List.of(), second.problems());
        assertEquals(24_684_096L * 1024, second.memoryTotalBytes());
        assertEquals((24_684_096L - 24_098_948L) * 1024, second.memoryUsedBytes());
        assertEquals(66.7, second.cpuUtilizationPercent());
        assertEquals(Runtime.getRuntime().availableProcessors(), second.cpuCores());
        assertTrue(first.cpuUtilizationPercent() > 0, "since boot on the first sample");
    }

    @Test
    void garbledProcFilesAreReportedAndTheMxBeanFillsIn() throws Exception {
        Files.writeString(proc.resolve("meminfo"), Fixtures.text("proc/meminfo-truncated.txt"));
        Files.writeString(proc.resolve("stat"), "cpu0 1 2 3 4\n");

        HostResources sample = new HostProbe(proc).sample();

        assertEquals(List.of("/proc/stat has no aggregate 'cpu' line", "/proc/meminfo has no MemAvailable line"),
                sample.problems());
        assertTrue(sample.memoryTotalBytes() > 0, "total from the OS MXBean");
    }

    @Test
    void withoutProcTheMxBeanIsTheSourceAndNothingIsAProblem() {
        HostResources sample = new HostProbe(proc.resolve("absent")).sample();

        assertEquals(List.of(), sample.problems());
        assertTrue(sample.memoryTotalBytes() > 0);
        assertTrue(sample.memoryUsedBytes() <= sample.memoryTotalBytes());
    }
}
