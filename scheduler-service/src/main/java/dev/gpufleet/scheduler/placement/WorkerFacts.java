package dev.gpufleet.scheduler.placement;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Per-worker facts placement reads in its hot loops, computed once per worker version. GPUs are addressed by
 * position (ascending GPU index), not by index.
 */
public final class WorkerFacts {
    private final WorkerCapacity worker;
    private final Map<String, String> labels;
    private final Set<String> vendors;
    private final String os;
    private final String arch;
    private final long allocRam;
    private final long usableRam;
    private final int gpuCount;
    private final GpuCapacity[] gpus;
    private final long[] alloc;
    private final long[] usable;
    /** GPU positions by allocatable VRAM, largest first, ties by index. */
    private final int[] byFree;
    private final long maxAlloc;
    private final long sumAlloc;

    WorkerFacts(WorkerCapacity worker, PlacementSettings settings) {
        this.worker = worker;
        this.os = worker.os() == null ? worker.labels().getOrDefault("os", "") : worker.os();
        this.arch = worker.arch() == null ? worker.labels().getOrDefault("arch", "") : worker.arch();
        GpuCapacity[] sorted = worker.gpus().toArray(new GpuCapacity[0]);
        Arrays.sort(sorted, (a, b) -> Integer.compare(a.index(), b.index()));
        this.gpus = sorted;
        this.gpuCount = sorted.length;
        this.alloc = new long[gpuCount];
        this.usable = new long[gpuCount];
        Set<String> vendorSet = new TreeSet<>();
        long max = 0;
        long sum = 0;
        for (int g = 0; g < gpuCount; g++) {
            alloc[g] = Math.max(0, sorted[g].allocatableBytes(settings));
            usable[g] = Math.max(1, sorted[g].totalBytes() - settings.vramReservedBytes());
            max = Math.max(max, alloc[g]);
            sum += alloc[g];
            vendorSet.add(sorted[g].vendor());
        }
        this.vendors = Set.copyOf(vendorSet);
        this.maxAlloc = max;
        this.sumAlloc = sum;
        this.allocRam = Math.max(0, worker.allocatableRamBytes(settings));
        this.usableRam = Math.max(1, worker.ramTotalBytes() - settings.ramReservedBytes());
        Integer[] order = new Integer[gpuCount];
        for (int g = 0; g < gpuCount; g++) {
            order[g] = g;
        }
        Arrays.sort(order, (a, b) -> alloc[a] != alloc[b] ? Long.compare(alloc[b], alloc[a])
                : Integer.compare(sorted[a].index(), sorted[b].index()));
        this.byFree = new int[gpuCount];
        for (int g = 0; g < gpuCount; g++) {
            byFree[g] = order[g];
        }
        Map<String, String> effective = new HashMap<>();
        effective.put("os", os);
        if (worker.arch() != null) {
            effective.put("arch", worker.arch());
        }
        effective.put("worker-name", worker.name());
        effective.putAll(worker.labels());
        this.labels = effective;
    }

    public WorkerCapacity worker() {
        return worker;
    }

    /** The worker's labels plus the built-ins {@code os}, {@code arch} and {@code worker-name} (its own win). */
    public String label(String key) {
        return labels.get(key);
    }

    /** The vendors of the worker's devices. */
    public Set<String> vendors() {
        return vendors;
    }

    /** The worker's OS, from its report or else its {@code os} label; empty when neither says. */
    public String arch() {
        return arch;
    }

    public String os() {
        return os;
    }

    /** Host RAM placement may still claim (never negative). */
    public long allocRam() {
        return allocRam;
    }

    /** Host RAM less the reserve (at least 1 byte): what RAM utilisation is measured against. */
    public long usableRam() {
        return usableRam;
    }

    public int gpuCount() {
        return gpuCount;
    }

    public GpuCapacity gpu(int position) {
        return gpus[position];
    }

    /** VRAM placement may still claim on the GPU at {@code position} (never negative). */
    public long alloc(int position) {
        return alloc[position];
    }

    /** The GPU's memory less the reserve (at least 1 byte): what GPU utilisation is measured against. */
    public long usable(int position) {
        return usable[position];
    }

    /** The position of the GPU ranked {@code rank} by allocatable VRAM, largest first, ties by index. */
    public int byFree(int rank) {
        return byFree[rank];
    }

    /** The largest allocatable VRAM of any GPU. */
    public long maxAlloc() {
        return maxAlloc;
    }

    /** The allocatable VRAM of all GPUs together. */
    public long sumAlloc() {
        return sumAlloc;
    }

    /** The indexes of the GPUs at these positions, in the same order. */
    public List<Integer> indexes(int[] positions) {
        List<Integer> out = new ArrayList<>(positions.length);
        for (int g : positions) {
            out.add(gpus[g].index());
        }
        return out;
    }

    /** The position of the GPU with this index, or -1 when the worker has none. */
    public int position(int gpuIndex) {
        for (int g = 0; g < gpuCount; g++) {
            if (gpus[g].index() == gpuIndex) {
                return g;
            }
        }
        return -1;
    }
}
