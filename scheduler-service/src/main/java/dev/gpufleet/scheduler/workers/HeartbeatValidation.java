package dev.gpufleet.scheduler.workers;

import dev.gpufleet.events.GpuDevice;
import dev.gpufleet.events.WorkerReported;
import dev.gpufleet.events.WorkerState;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Checks a heartbeat before it is stored: impossible values are corrected so that placement never counts memory
 * that is not there, and a heartbeat from a second host using a worker id that a live host holds is rejected.
 * Corrections lean towards less free memory: a reading that cannot be right is taken as "all in use". Pure.
 */
public final class HeartbeatValidation {

    private HeartbeatValidation() {
    }

    /** The worker as stored from its previous heartbeat. */
    public record Held(String name, String address, List<GpuDevice> gpus, WorkerState state, Instant lastHeartbeatAt,
                       int heartbeatIntervalSeconds) {
        public Held {
            gpus = gpus == null ? List.of() : List.copyOf(gpus);
        }
    }

    /**
     * @param heartbeat what to store (corrected); null when rejected
     * @param reasons   why it was corrected or rejected, one sentence each; empty when taken as it came
     */
    public record Verdict(boolean accepted, WorkerReported heartbeat, List<String> reasons) {
        public Verdict {
            reasons = List.copyOf(reasons);
        }
    }

    /** @param held null for a worker not seen before */
    public static Verdict check(WorkerReported report, Held held, Instant now) {
        List<String> reasons = new ArrayList<>();
        if (report.workerId() == null || report.workerId().isBlank()) {
            reasons.add("workerId is missing");
            return new Verdict(false, null, reasons);
        }
        String name = nameOf(report);
        if (held != null && fresh(held, now)
                && (!name.equals(held.name()) || !Objects.equals(report.address(), held.address()))) {
            reasons.add("worker id " + report.workerId() + " belongs to " + describe(held.name(), held.address())
                    + ", which reported " + Duration.between(held.lastHeartbeatAt(), now).toSeconds()
                    + "s ago; the heartbeat from " + describe(name, report.address()) + " is ignored");
            return new Verdict(false, null, reasons);
        }

        long ramTotal = report.memoryTotalBytes();
        long ramUsed = report.memoryUsedBytes();
        if (ramTotal < 0) {
            reasons.add("memory_total_bytes " + ramTotal + " is negative; taken as 0");
            ramTotal = 0;
        }
        ramUsed = usedWithin("memory_used_bytes", ramUsed, ramTotal, reasons);
        int cpuCores = report.cpuCores();
        if (cpuCores < 0) {
            reasons.add("cpu_cores " + cpuCores + " is negative; taken as 0");
            cpuCores = 0;
        }
        List<GpuDevice> gpus = checkGpus(report.gpus(), held == null ? List.of() : held.gpus(), reasons);

        WorkerReported corrected = reasons.isEmpty() ? report : new WorkerReported(report.workerId(), report.name(),
                report.address(), report.agentPort(), report.os(), report.arch(), report.labels(), cpuCores,
                report.cpuUtilizationPercent(), ramTotal, ramUsed, gpus, report.state(), report.stateMessage(),
                report.instances(), report.heartbeatIntervalSeconds(), report.agentRunId(), report.heartbeatSequence(),
                report.backendVersions(), report.modelFiles(), report.modelDirectory());
        return new Verdict(true, corrected, reasons);
    }

    private static List<GpuDevice> checkGpus(List<GpuDevice> reported, List<GpuDevice> before, List<String> reasons) {
        Map<Integer, Long> perIndex = reported.stream()
                .collect(Collectors.groupingBy(GpuDevice::index, Collectors.counting()));
        Map<Integer, GpuDevice> previous = before.stream()
                .collect(Collectors.toMap(GpuDevice::index, Function.identity(), (a, b) -> a));
        List<GpuDevice> kept = new ArrayList<>();
        Set<Integer> duplicates = new HashSet<>();
        for (GpuDevice gpu : reported) {
            String label = "GPU " + gpu.index() + (gpu.name() == null ? "" : " (" + gpu.name() + ")");
            if (gpu.index() < 0) {
                reasons.add(label + ": index is negative; GPU left out");
                continue;
            }
            if (perIndex.get(gpu.index()) > 1) {
                // which of the devices a placement on this index would land on is anyone's guess
                if (duplicates.add(gpu.index())) {
                    reasons.add("GPU index " + gpu.index() + " is reported " + perIndex.get(gpu.index())
                            + " times; all of them left out");
                }
                continue;
            }
            if (gpu.memoryTotalBytes() < 0) {
                reasons.add(label + ": memory_total_bytes " + gpu.memoryTotalBytes() + " is negative; GPU left out");
                continue;
            }
            long used = usedWithin(label + ": memory_used_bytes", gpu.memoryUsedBytes(), gpu.memoryTotalBytes(),
                    reasons);
            GpuDevice last = previous.get(gpu.index());
            if (last != null && last.memoryTotalBytes() != gpu.memoryTotalBytes()) {
                reasons.add(label + ": memory_total_bytes changed from " + last.memoryTotalBytes() + " to "
                        + gpu.memoryTotalBytes() + " since the last heartbeat; using the newest");
            }
            kept.add(used == gpu.memoryUsedBytes() ? gpu : gpu.withMemoryUsed(used));
        }
        return kept;
    }

    /** Used memory that cannot be right (negative, or more than the total) is taken as all of it. */
    private static long usedWithin(String field, long used, long total, List<String> reasons) {
        if (used < 0) {
            reasons.add(field + " " + used + " is negative; taken as all " + total + " in use");
            return total;
        }
        if (used > total) {
            reasons.add(field + " " + used + " is more than the total " + total + "; taken as " + total);
            return total;
        }
        return used;
    }

    /** Still heard from: another host may not take its id over until it has been silent for 3 intervals. */
    private static boolean fresh(Held held, Instant now) {
        return held.state() != WorkerState.UNREACHABLE && held.lastHeartbeatAt() != null
                && Duration.between(held.lastHeartbeatAt(), now)
                        .compareTo(WorkerLiveness.unreachableAfter(held.heartbeatIntervalSeconds())) <= 0;
    }

    /** The name a worker is stored under: its id when it reports none. */
    static String nameOf(WorkerReported report) {
        return report.name() == null || report.name().isBlank() ? report.workerId() : report.name();
    }

    private static String describe(String name, String address) {
        return name + (address == null ? "" : " at " + address);
    }
}
