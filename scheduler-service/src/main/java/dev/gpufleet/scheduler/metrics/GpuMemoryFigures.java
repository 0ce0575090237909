package dev.gpufleet.scheduler.metrics;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * GPU memory "used by others" per worker and GPU: what the agent last reported in use on the GPU less what
 * gpufleet's placements claim there (that is, total − claimed − free as the agent sees it), never below zero. It
 * is memory the placement cannot count on (another program, a backend using more than its claim): above a few GiB
 * it explains instances that stay PENDING on a GPU that looks free by claims.
 */
public final class GpuMemoryFigures {
    /** One GPU as the agent's last heartbeat reported it. */
    public record ReportedGpu(String worker, int index, long totalBytes, long usedBytes) {
    }

    private GpuMemoryFigures() {
    }

    /**
     * @param claimedByWorkerAndGpu what placements claim, keyed by [worker, index] as {@link FleetFigures} gives it
     * @return bytes used by others, keyed by [worker, index]
     */
    public static Map<List<String>, Long> usedByOthers(List<ReportedGpu> gpus,
                                                       Map<List<String>, Long> claimedByWorkerAndGpu) {
        Map<List<String>, Long> out = new TreeMap<>(GpuMemoryFigures::compare);
        for (ReportedGpu gpu : gpus) {
            List<String> key = List.of(gpu.worker(), String.valueOf(gpu.index()));
            long claimed = claimedByWorkerAndGpu.getOrDefault(key, 0L);
            long used = Math.min(Math.max(gpu.usedBytes(), 0), Math.max(gpu.totalBytes(), 0));
            out.put(key, Math.max(0, used - claimed));
        }
        return out;
    }

    /** Total memory per [worker, index]. */
    public static Map<List<String>, Long> total(List<ReportedGpu> gpus) {
        Map<List<String>, Long> out = new TreeMap<>(GpuMemoryFigures::compare);
        for (ReportedGpu gpu : gpus) {
            out.put(List.of(gpu.worker(), String.valueOf(gpu.index())), gpu.totalBytes());
        }
        return out;
    }

    private static int compare(List<String> a, List<String> b) {
        int byWorker = a.get(0).compareTo(b.get(0));
        return byWorker != 0 ? byWorker : a.get(1).compareTo(b.get(1));
    }
}
