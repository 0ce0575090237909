package dev.gpufleet.worker.host;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads CPU and RAM: from {@code /proc} where it exists (Linux), else from the JVM's OS MXBean. A {@code /proc}
 * file that cannot be parsed is reported as a problem (the worker then says NOT_READY) and the MXBean's value is
 * used instead, so the agent keeps running and keeps reporting.
 */
public class HostProbe {
    private final Path procDir;
    private final OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    private CpuTimes previousCpu;

    public HostProbe(Path procDir) {
        this.procDir = procDir;
    }

    public static HostProbe ofThisHost() {
        return new HostProbe(Path.of("/proc"));
    }

    public synchronized HostResources sample() {
        List<String> problems = new ArrayList<>();
        int cores = Runtime.getRuntime().availableProcessors();
        double cpu = cpuFromProc(problems);
        long[] memory = memoryFromProc(problems);
        return new HostResources(cores, cpu, memory[0], memory[1], problems);
    }

    private double cpuFromProc(List<String> problems) {
        Path stat = procDir.resolve("stat");
        if (!Files.isRegularFile(stat)) {
            return cpuFromMxBean();
        }
        try {
            CpuTimes now = ProcStatParser.parse(Files.readString(stat, StandardCharsets.UTF_8));
            double percent = CpuTimes.utilizationPercent(previousCpu, now);
            previousCpu = now;
            return percent;
        } catch (UnreadableHostDataException e) {
            problems.add(e.getMessage());
        } catch (IOException e) {
            problems.add("cannot read " + stat + ": " + e);
        }
        previousCpu = null;
        return cpuFromMxBean();
    }

    private long[] memoryFromProc(List<String> problems) {
        Path meminfo = procDir.resolve("meminfo");
        if (!Files.isRegularFile(meminfo)) {
            return memoryFromMxBean();
        }
        try {
            MemInfo info = MemInfoParser.parse(Files.readString(meminfo, StandardCharsets.UTF_8));
            return new long[] {info.totalBytes(), info.usedBytes()};
        } catch (UnreadableHostDataException e) {
            problems.add(e.getMessage());
        } catch (IOException e) {
            problems.add("cannot read " + meminfo + ": " + e);
        }
        return memoryFromMxBean();
    }

    private double cpuFromMxBean() {
        if (os instanceof com.sun.management.OperatingSystemMXBean) {
            double load = ((com.sun.management.OperatingSystemMXBean) os).getCpuLoad();
            return load < 0 ? 0.0 : Math.round(load * 1000.0) / 10.0;
        }
        return 0.0;
    }

    private long[] memoryFromMxBean() {
        if (os instanceof com.sun.management.OperatingSystemMXBean) {
            com.sun.management.OperatingSystemMXBean sun = (com.sun.management.OperatingSystemMXBean) os;
            long total = sun.getTotalMemorySize();
            return new long[] {total, Math.max(0, total - sun.getFreeMemorySize())};
        }
        return new long[] {0, 0};
    }
}
