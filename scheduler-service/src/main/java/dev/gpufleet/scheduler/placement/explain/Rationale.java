package dev.gpufleet.scheduler.placement.explain;

import dev.gpufleet.events.PlacementShape;
import dev.gpufleet.scheduler.placement.Backend;
import dev.gpufleet.scheduler.placement.ClusterSnapshot;
import dev.gpufleet.scheduler.placement.Gib;
import dev.gpufleet.scheduler.placement.PlacementRequest.Strategy;
import dev.gpufleet.scheduler.placement.WorkerFacts;
import dev.gpufleet.scheduler.placement.shape.Candidate;
import dev.gpufleet.scheduler.placement.shape.Needs;
import dev.gpufleet.scheduler.placement.shape.Shortfall;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/** Why a placement is what it is, in one line for the admin API: shape, workers and GPUs, claim, score. */
public final class Rationale {
    private Rationale() {
    }

    /** E.g. "tensor split on two16 GPU 0,1: claims 22.0 GiB VRAM, 1.2 GiB RAM; score 23.3 (spread)". */
    public static String of(Candidate c, ClusterSnapshot cluster, Needs needs, Strategy strategy) {
        WorkerFacts f = cluster.facts(c.worker());
        StringBuilder rationale = new StringBuilder();
        rationale.append(kind(c, needs.backend())).append(" on ").append(f.worker().name());
        if (c.gpus().length > 0) {
            rationale.append(" GPU ").append(joined(f.indexes(c.gpus())));
        }
        long totalVram = Arrays.stream(c.vram()).sum();
        for (Candidate.Subordinate s : c.subordinates()) {
            WorkerFacts sf = cluster.facts(s.worker());
            rationale.append(" + ").append(sf.worker().name()).append(" GPU ").append(joined(sf.indexes(s.gpus())));
            totalVram += Arrays.stream(s.vram()).sum();
        }
        rationale.append(": ");
        if (!needs.estimated()) {
            rationale.append("no estimate, ");
        }
        rationale.append("claims ");
        if (c.gpus().length > 0) {
            rationale.append(Gib.of(totalVram)).append(" VRAM, ");
        }
        rationale.append(Gib.of(c.ram())).append(" RAM");
        if (c.gpuLayers() > 0 && c.kind() == PlacementShape.Kind.PARTIAL_OFFLOAD) {
            rationale.append(", ").append(c.gpuLayers()).append(" of ").append(needs.layered().layers())
                    .append(" layers on the GPU");
        }
        rationale.append("; score ").append(String.format(Locale.ROOT, "%.1f", c.score())).append(" (")
                .append(strategy.name().toLowerCase(Locale.ROOT)).append(')');
        if (!c.shortfalls().isEmpty()) {
            rationale.append("; overcommitted");
        }
        return rationale.toString();
    }

    /** The warnings of a placement that manual selection overcommitted; none otherwise. */
    public static List<String> warnings(Candidate c) {
        if (c.shortfalls().isEmpty()) {
            return List.of();
        }
        return List.of("overcommitted as allowed: " + c.shortfalls().stream().map(Shortfall::message)
                .collect(Collectors.joining("; ")));
    }

    private static String kind(Candidate c, Backend backend) {
        return switch (c.kind()) {
            case SINGLE_GPU -> "single GPU";
            case MULTI_GPU -> backend == Backend.LLAMA_BOX ? "tensor split" : "tensor parallel " + c.tensorParallel();
            case DISTRIBUTED -> backend == Backend.LLAMA_BOX ? "RPC across " + (c.subordinates().size() + 1)
                    + " workers" : backend == Backend.MINDIE ? "MindIE across " + (c.subordinates().size() + 1)
                    + " workers × " + c.gpus().length + " NPUs (world size " + c.tensorParallel() + ")"
                    : "Ray " + c.pipelineParallel() + "×" + c.tensorParallel();
            case PARTIAL_OFFLOAD -> "partial offload";
            case CPU_ONLY -> "CPU only";
        };
    }

    private static String joined(List<Integer> indexes) {
        return indexes.stream().map(String::valueOf).collect(Collectors.joining(","));
    }
}
