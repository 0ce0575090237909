package dev.gpufleet.scheduler.placement.explain;

import dev.gpufleet.scheduler.placement.ClusterSnapshot;
import dev.gpufleet.scheduler.placement.PlacementDecision;
import dev.gpufleet.scheduler.placement.PlacementRequest;
import dev.gpufleet.scheduler.placement.WorkerCapacity;
import dev.gpufleet.scheduler.placement.filter.Rejection;
import dev.gpufleet.scheduler.placement.filter.WorkerFilters;
import dev.gpufleet.scheduler.placement.shape.Candidate;
import dev.gpufleet.scheduler.placement.shape.Needs;
import dev.gpufleet.scheduler.placement.shape.Shortfall;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Why nothing fits, per worker: the filter's rejection, the manual selection's problem, or the capacity a worker
 * lacks. The summary names at most {@link #MAX_LISTED_WORKERS} workers by name and counts the rest; workers the
 * selectors leave out are summed up in one phrase. Every considered worker's reason is worked out on first use
 * ({@link PlacementDecision.NoFit#perWorker()}).
 */
public final class NoFitExplanation {
    /** Placement-failure messages name at most this many workers, then count the rest. */
    static final int MAX_LISTED_WORKERS = 10;
    private static final Comparator<WorkerCapacity> BY_NAME_THEN_ID = Comparator.comparing(WorkerCapacity::name)
            .thenComparing(WorkerCapacity::id);

    /** A worker a no-fit message is about; {@code rejection} null when the filters let it through. */
    private record Considered(int position, Rejection rejection) {
    }

    private final ClusterSnapshot cluster;
    private final PlacementRequest request;
    private final WorkerFilters filters;
    private final boolean manual;
    private final Candidate manualFailure;
    private final CapacityProblem capacity;
    private final boolean estimated;

    /**
     * @param manualFailure the manual selection's candidate that did not fit, or null (automatic selection, or a
     *                      selection naming workers the filters left out)
     */
    public NoFitExplanation(ClusterSnapshot cluster, PlacementRequest request, WorkerFilters filters, boolean manual,
                            Needs needs, Candidate manualFailure) {
        this.cluster = cluster;
        this.request = request;
        this.filters = filters;
        this.manual = manual;
        this.manualFailure = manualFailure;
        this.capacity = new CapacityProblem(needs, request.distributedInference());
        this.estimated = needs.estimated();
    }

    public PlacementDecision.NoFit decision() {
        StringBuilder reason = new StringBuilder("No suitable workers.");
        if (!estimated) {
            reason.append(" No estimate yet, so needs count as 0 bytes.");
        }
        if (cluster.size() == 0) {
            return new PlacementDecision.NoFit(reason.append(" No workers registered.").toString());
        }
        // every worker but those the selectors leave out: the rejected with their rejection, the eligible with none
        List<Considered> considered = new ArrayList<>();
        for (int w = 0; w < cluster.size(); w++) {
            Rejection r = filters.rejection(w);
            if (r == null || r.listed()) {
                considered.add(new Considered(w, r));
            }
        }
        considered.sort(Comparator.comparing(c -> cluster.facts(c.position()).worker(), BY_NAME_THEN_ID));
        // only the listed workers' problems are worked out now; the rest when perWorker() is asked for
        Supplier<SortedMap<String, String>> explain = () -> {
            SortedMap<String, String> all = new TreeMap<>();
            for (Considered c : considered) {
                all.put(cluster.facts(c.position()).worker().name(), problem(c));
            }
            return all;
        };
        String selector = describe(request.workerSelector());
        if (considered.isEmpty()) {
            if (manual) {
                return new PlacementDecision.NoFit(reason.append(" No worker named in gpu_selector ")
                        .append(request.gpuSelector()).append(" matches worker_selector ").append(selector)
                        .append('.').toString(), explain);
            }
            return new PlacementDecision.NoFit(reason.append(" No worker matches worker_selector ").append(selector)
                    .append('.').toString(), explain);
        }
        List<String> parts = new ArrayList<>();
        for (Considered c : considered.subList(0, Math.min(MAX_LISTED_WORKERS, considered.size()))) {
            parts.add(cluster.facts(c.position()).worker().name() + ": " + problem(c));
        }
        if (considered.size() > MAX_LISTED_WORKERS) {
            parts.add("and " + (considered.size() - MAX_LISTED_WORKERS) + " more");
        }
        // the workers left out are not counted: the message, and so the instance's revision, would change
        // with every worker that joins or leaves anywhere in the fleet
        if (considered.size() < cluster.size()) {
            parts.add(manual ? "other workers are not named in gpu_selector or do not match worker_selector "
                    + selector : "other workers do not match worker_selector " + selector);
        }
        return new PlacementDecision.NoFit(reason.append(' ').append(String.join("; ", parts)).toString(),
                explain);
    }

    private String problem(Considered c) {
        if (c.rejection() != null) {
            return c.rejection().reason();
        }
        return manualFailure != null ? manualProblem(c.position()) : capacity.of(cluster.facts(c.position()));
    }

    private String manualProblem(int w) {
        if (manualFailure.impossible() != null) {
            return manualFailure.impossible();
        }
        String name = cluster.facts(w).worker().name();
        String mine = manualFailure.shortfalls().stream().filter(s -> s.workerName().equals(name))
                .map(Shortfall::detail).collect(Collectors.joining(", "));
        return mine.isEmpty() ? "the other selected workers cannot hold their part" : mine
                + " (overcommit not allowed)";
    }

    /** A selector as {@code {key=value,...}}, keys sorted, so the message is the same whatever the map's order. */
    static String describe(Map<String, String> selector) {
        return new TreeMap<>(selector).entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(",", "{", "}"));
    }
}
