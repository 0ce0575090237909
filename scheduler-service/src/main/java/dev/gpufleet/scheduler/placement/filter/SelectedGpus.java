package dev.gpufleet.scheduler.placement.filter;

import dev.gpufleet.scheduler.placement.ClusterSnapshot;
import dev.gpufleet.scheduler.placement.WorkerFacts;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A model's {@code gpu_selector} resolved against the snapshot: per worker (by position) the GPU positions it names,
 * and the largest GPU index it names that the worker does not have. Automatic selection when no entry is given.
 */
public final class SelectedGpus {
    private static final int[] NONE = new int[0];

    private final int entries;
    private final Map<Integer, int[]> gpus;
    private final Map<Integer, Integer> missing;

    private SelectedGpus(int entries, Map<Integer, int[]> gpus, Map<Integer, Integer> missing) {
        this.entries = entries;
        this.gpus = gpus;
        this.missing = missing;
    }

    /** Each entry names a worker by name: the first worker of that name in the snapshot. */
    public static SelectedGpus resolve(ClusterSnapshot cluster, List<GpuSelection> selections) {
        if (selections.isEmpty()) {
            return new SelectedGpus(0, Map.of(), Map.of());
        }
        Map<String, Integer> byName = new HashMap<>();
        for (int w = 0; w < cluster.size(); w++) {
            byName.putIfAbsent(cluster.facts(w).worker().name(), w);
        }
        Map<Integer, TreeSet<Integer>> picked = new TreeMap<>();
        Map<Integer, Integer> missing = new HashMap<>();
        for (GpuSelection s : selections) {
            Integer w = byName.get(s.workerName());
            if (w != null) {
                WorkerFacts f = cluster.facts(w);
                int g = f.position(s.index());
                TreeSet<Integer> named = picked.computeIfAbsent(w, k -> new TreeSet<>());
                // a GPU the worker does not have (or not of that type) is that worker's reason
                if (g >= 0 && f.gpu(g).type().equalsIgnoreCase(s.type())) {
                    named.add(g);
                } else {
                    missing.merge(w, s.index(), Math::max);
                }
            }
        }
        Map<Integer, int[]> gpus = new HashMap<>();
        picked.forEach((w, gs) -> gpus.put(w, gs.stream().mapToInt(Integer::intValue).toArray()));
        return new SelectedGpus(selections.size(), gpus, missing);
    }

    /** Whether GPUs are selected by hand. */
    public boolean manual() {
        return entries > 0;
    }

    /** How many entries the selector has (repeats included). */
    public int entries() {
        return entries;
    }

    /** Whether an entry names this worker. */
    public boolean names(int position) {
        return gpus.containsKey(position);
    }

    /** The positions, ascending, of the GPUs named on this worker that it has. */
    public int[] gpus(int position) {
        return gpus.getOrDefault(position, NONE);
    }

    /** The largest GPU index named on this worker that it does not have, or null when it has them all. */
    public Integer missingIndex(int position) {
        return missing.get(position);
    }
}
