package dev.gpufleet.scheduler.placement;

import dev.gpufleet.events.LayeredSizing;
import dev.gpufleet.events.PlacementShape;
import dev.gpufleet.events.ResourceClaim;
import dev.gpufleet.events.SubordinateWorker;
import dev.gpufleet.scheduler.placement.explain.NoFitExplanation;
import dev.gpufleet.scheduler.placement.explain.Rationale;
import dev.gpufleet.scheduler.placement.filter.GpuSelection;
import dev.gpufleet.scheduler.placement.filter.SelectedGpus;
import dev.gpufleet.scheduler.placement.filter.WorkerFilters;
import dev.gpufleet.scheduler.placement.score.FilesFirst;
import dev.gpufleet.scheduler.placement.score.Scoring;
import dev.gpufleet.scheduler.placement.shape.Candidate;
import dev.gpufleet.scheduler.placement.shape.Needs;
import dev.gpufleet.scheduler.placement.shape.SearchSpace;
import dev.gpufleet.scheduler.placement.shape.ShapeSearch;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Placement (DESIGN §5): a pure, deterministic function of (cluster snapshot, request) → decision. The filters
 * ({@link WorkerFilters}) leave the workers that may take the instance; the shape searches ({@link ShapeSearch}) find
 * the best candidate on them, ranked by {@link Scoring}; the winner becomes a {@link PlacementDecision.Placed} with its
 * {@link Rationale}, and no winner a {@link PlacementDecision.NoFit} saying why per worker
 * ({@link NoFitExplanation}).
 */
public final class PlacementEngine {
    private PlacementEngine() {
    }

    public static PlacementDecision place(ClusterSnapshot cluster, PlacementRequest request) {
        Backend backend = Backend.of(request.backend());
        if (backend == null) {
            return new PlacementDecision.NoFit("No suitable workers. backend '" + request.backend()
                    + "' is not one of llama-box, vllm, vox-box, mindie.");
        }
        List<GpuSelection> selections = new ArrayList<>(request.gpuSelector().size());
        for (String entry : request.gpuSelector()) {
            try {
                selections.add(GpuSelection.parse(entry));
            } catch (IllegalArgumentException e) {
                return new PlacementDecision.NoFit("No suitable workers. " + e.getMessage() + ".");
            }
        }
        SelectedGpus selected = SelectedGpus.resolve(cluster, selections);
        Needs needs = new Needs(request, backend);
        WorkerFilters filters = new WorkerFilters(cluster, request.workerSelector(), backend, selected,
                needs.cpuAllowed(), request.backendVersion());
        SearchSpace space = new SearchSpace(cluster, FilesFirst.order(cluster, filters.eligible(),
                request.modelFiles()), needs, Scoring.of(request.strategy()));
        Candidate best = space.eligible().length == 0 ? null : selected.manual()
                ? ShapeSearch.manual(space, selected, request) : ShapeSearch.automatic(space, request);
        if (best != null && best.impossible() == null
                && (best.shortfalls().isEmpty() || request.allowOvercommit())) {
            return placed(best, cluster, needs, request);
        }
        return new NoFitExplanation(cluster, request, filters, selected.manual(), needs, best).decision();
    }

    /** The candidate in ids and GPU indexes, with its rationale. */
    private static PlacementDecision.Placed placed(Candidate c, ClusterSnapshot cluster, Needs needs,
                                                   PlacementRequest request) {
        WorkerFacts f = cluster.facts(c.worker());
        List<SubordinateWorker> subordinates = new ArrayList<>(c.subordinates().size());
        for (Candidate.Subordinate s : c.subordinates()) {
            WorkerFacts sf = cluster.facts(s.worker());
            subordinates.add(new SubordinateWorker(sf.worker().id(), sf.indexes(s.gpus()), claim(sf, s.gpus(),
                    s.vram(), s.ram())));
        }
        int gpuLayers = c.kind() == PlacementShape.Kind.CPU_ONLY ? 0
                : needs.backend() == Backend.LLAMA_BOX ? c.gpuLayers() : LayeredSizing.ALL_LAYERS;
        UserParallelism user = request.parallelism();
        PlacementShape shape = new PlacementShape(c.kind(), gpuLayers, c.tensorSplit(),
                needs.userWorld() > 0 ? Math.max(1, user.tensorParallel()) : c.tensorParallel(),
                needs.userWorld() > 0 ? Math.max(1, user.pipelineParallel()) : c.pipelineParallel());
        return new PlacementDecision.Placed(f.worker().id(), f.worker().name(), f.indexes(c.gpus()),
                claim(f, c.gpus(), c.vram(), c.ram()), shape, subordinates, c.score(),
                Rationale.of(c, cluster, needs, request.strategy()), Rationale.warnings(c));
    }

    private static ResourceClaim claim(WorkerFacts f, int[] gpus, long[] vram, long ram) {
        Map<Integer, Long> byIndex = new TreeMap<>();
        for (int i = 0; i < gpus.length; i++) {
            byIndex.merge(f.gpu(gpus[i]).index(), vram[i], Long::sum);
        }
        return new ResourceClaim(ram, byIndex);
    }
}
