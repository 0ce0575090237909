package dev.gpufleet.scheduler.placement;

import dev.gpufleet.events.ResourceClaim;
import dev.gpufleet.events.WorkerState;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The first placement rule (the full engine of DESIGN §5 comes later). Among READY workers whose labels hold the
 * model's worker selector: one GPU whose allocatable VRAM holds the estimate, the most allocatable first; else,
 * for llama-box and vox-box with CPU offloading on, CPU only on the worker with the most allocatable RAM that
 * holds the estimate. Ties go to the lower worker id, then the lower GPU index. Without an estimate the need
 * counts as 0 bytes. Pure: the same snapshot and request always give the same decision.
 */
public final class FirstPlacement {
    public static final long GIB = 1L << 30;
    public static final long GPU_RESERVED_BYTES = GIB;
    public static final long RAM_RESERVED_BYTES = 2 * GIB;
    /** Placement-failure messages name at most this many workers, then count the rest. */
    static final int MAX_LISTED_WORKERS = 10;

    private static final List<String> CPU_CAPABLE_BACKENDS = List.of("llama-box", "vox-box");

    private record GpuChoice(WorkerCapacity worker, GpuCapacity gpu) {
    }

    private static final Comparator<GpuChoice> MOST_FREE_GPU = Comparator
            .comparingLong((GpuChoice c) -> c.gpu().allocatableBytes()).reversed()
            .thenComparing(c -> c.worker().id())
            .thenComparingInt(c -> c.gpu().index());

    private static final Comparator<WorkerCapacity> MOST_FREE_RAM = Comparator
            .comparingLong(WorkerCapacity::allocatableRamBytes).reversed()
            .thenComparing(WorkerCapacity::id);

    private FirstPlacement() {
    }

    public static PlacementDecision place(List<WorkerCapacity> workers, PlacementRequest request) {
        boolean estimated = request.estimate() != null;
        long vramNeed = estimated ? request.estimate().vramBytes() : 0;
        long ramNeed = estimated ? request.estimate().ramBytes() : 0;
        boolean cpuAllowed = request.cpuOffloading() && CPU_CAPABLE_BACKENDS.contains(backendOf(request));

        List<WorkerCapacity> selected = workers.stream().filter(w -> matches(w, request.workerSelector())).toList();
        List<WorkerCapacity> ready = selected.stream().filter(w -> w.state() == WorkerState.READY).toList();

        GpuChoice gpu = ready.stream()
                .flatMap(w -> w.gpus().stream().map(g -> new GpuChoice(w, g)))
                .filter(c -> c.gpu().allocatableBytes() >= vramNeed)
                .min(MOST_FREE_GPU)
                .orElse(null);
        if (gpu != null) {
            String rationale = "Placed on " + gpu.worker().name() + " GPU " + gpu.gpu().index() + ": "
                    + (estimated ? "needs " + gib(vramNeed) + " VRAM, " : "no estimate, ")
                    + gib(gpu.gpu().allocatableBytes()) + " allocatable";
            return new PlacementDecision.Placed(gpu.worker().id(), gpu.worker().name(), List.of(gpu.gpu().index()),
                    new ResourceClaim(0, Map.of(gpu.gpu().index(), vramNeed)), rationale);
        }
        if (cpuAllowed) {
            WorkerCapacity cpu = ready.stream()
                    .filter(w -> w.allocatableRamBytes() >= ramNeed)
                    .min(MOST_FREE_RAM)
                    .orElse(null);
            if (cpu != null) {
                String rationale = "Placed on " + cpu.name() + " (CPU only): "
                        + (estimated ? "needs " + gib(ramNeed) + " RAM, " : "no estimate, ")
                        + gib(cpu.allocatableRamBytes()) + " allocatable";
                return new PlacementDecision.Placed(cpu.id(), cpu.name(), List.of(), new ResourceClaim(ramNeed, Map.of()),
                        rationale);
            }
        }
        return new PlacementDecision.NoFit(noFitReason(workers, selected, request, estimated, vramNeed, ramNeed,
                cpuAllowed));
    }

    private static String noFitReason(List<WorkerCapacity> workers, List<WorkerCapacity> selected,
                                      PlacementRequest request, boolean estimated, long vramNeed, long ramNeed,
                                      boolean cpuAllowed) {
        StringBuilder reason = new StringBuilder("No suitable workers.");
        if (!estimated) {
            reason.append(" No estimate yet, so needs count as 0 bytes.");
        }
        if (workers.isEmpty()) {
            return reason.append(" No workers registered.").toString();
        }
        // the workers left out are not counted: the message, and so the instance's revision, would change with
        // every worker that joins or leaves anywhere in the fleet
        if (selected.isEmpty()) {
            return reason.append(" No worker matches worker_selector ").append(describe(request.workerSelector()))
                    .append('.').toString();
        }
        List<String> perWorker = selected.stream()
                .sorted(Comparator.comparing(WorkerCapacity::name).thenComparing(WorkerCapacity::id))
                .map(w -> w.name() + ": " + problemWith(w, request, vramNeed, ramNeed, cpuAllowed))
                .collect(Collectors.toCollection(ArrayList::new));
        if (perWorker.size() > MAX_LISTED_WORKERS) {
            int more = perWorker.size() - MAX_LISTED_WORKERS;
            perWorker.subList(MAX_LISTED_WORKERS, perWorker.size()).clear();
            perWorker.add("and " + more + " more");
        }
        if (selected.size() < workers.size()) {
            perWorker.add("other workers do not match worker_selector " + describe(request.workerSelector()));
        }
        return reason.append(' ').append(String.join("; ", perWorker)).toString();
    }

    private static String problemWith(WorkerCapacity worker, PlacementRequest request, long vramNeed, long ramNeed,
                                      boolean cpuAllowed) {
        if (worker.state() != WorkerState.READY) {
            return worker.state().name();
        }
        String cpu = "needs " + gib(ramNeed) + " RAM, " + gib(worker.allocatableRamBytes()) + " allocatable";
        if (worker.gpus().isEmpty()) {
            if (cpuAllowed) {
                return cpu;
            }
            return CPU_CAPABLE_BACKENDS.contains(backendOf(request))
                    ? "no GPU, and cpu_offloading is off"
                    : "no GPU, and " + request.backend() + " needs one";
        }
        long largest = worker.gpus().stream().mapToLong(GpuCapacity::allocatableBytes).max().orElse(0);
        String gpu = "needs " + gib(vramNeed) + " VRAM, largest free GPU has " + gib(largest);
        return cpuAllowed ? gpu + ", or " + gib(ramNeed) + " RAM, " + gib(worker.allocatableRamBytes())
                + " allocatable" : gpu;
    }

    /** The worker's labels hold every label of the selector. */
    static boolean matches(WorkerCapacity worker, Map<String, String> selector) {
        return selector.entrySet().stream().allMatch(e -> e.getValue().equals(worker.labels().get(e.getKey())));
    }

    private static String backendOf(PlacementRequest request) {
        return request.backend() == null ? "" : request.backend().toLowerCase(Locale.ROOT);
    }

    private static String describe(Map<String, String> selector) {
        return new TreeMap<>(selector).entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(",", "{", "}"));
    }

    /** Bytes as GiB with one decimal; nothing allocatable shows as 0.0 GiB. */
    static String gib(long bytes) {
        return String.format(Locale.ROOT, "%.1f GiB", Math.max(0, bytes) / (double) GIB);
    }
}
