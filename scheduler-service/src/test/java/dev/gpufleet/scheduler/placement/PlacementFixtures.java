package dev.gpufleet.scheduler.placement;

import dev.gpufleet.events.FixedSizing;
import dev.gpufleet.events.LayeredSizing;
import dev.gpufleet.events.ModelSizing;
import dev.gpufleet.events.ResourceClaim;
import dev.gpufleet.events.ResourceEstimate;
import dev.gpufleet.events.ShardedSizing;
import dev.gpufleet.events.WorkerState;
import dev.gpufleet.scheduler.placement.PlacementRequest.Strategy;
import org.junit.jupiter.params.provider.Arguments;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Fleets, models and requests for the placement tests, and the one-line form a decision is compared in. A table
 * row is (why, workers, request, settings, expected); {@link #assertPlaces} runs it.
 */
public final class PlacementFixtures {
    private PlacementFixtures() {
    }

    public static final long GIB = PlacementSettings.GIB;

    public static long gib(double n) {
        return (long) (n * GIB);
    }

    // ---- fleet builders --------------------------------------------------------------------------------------

    public static GpuCapacity nvidia(int index, double total, double used, double claimed) {
        return new GpuCapacity(index, "nvidia", "cuda", "NVIDIA " + (int) total + "G", gib(total), gib(used),
                gib(claimed));
    }

    public static GpuCapacity ascend(int index, double total) {
        return new GpuCapacity(index, "ascend", "npu", "Ascend 910B", gib(total), 0, 0);
    }

    /** An Ascend NPU whose device IP hccn_tool reported. */
    public static GpuCapacity ascendIp(int index, double total) {
        return new GpuCapacity(index, "ascend", "npu", "Ascend 910B", gib(total), 0, 0, "29.0.0." + index);
    }

    /** An Ascend server: {@code n} NPUs of 64 GiB, each with a device IP unless its index is in {@code noIp}. */
    public static WorkerCapacity npuServer(String id, double ram, int n, Integer... noIp) {
        GpuCapacity[] npus = new GpuCapacity[n];
        for (int i = 0; i < n; i++) {
            npus[i] = List.of(noIp).contains(i) ? ascend(i, 64) : ascendIp(i, 64);
        }
        return worker(id, ram, npus);
    }

    public static GpuCapacity apple(int index, double total) {
        return new GpuCapacity(index, "apple", "mps", "Apple M2", gib(total), 0, 0);
    }

    public static WorkerCapacity worker(String id, double ram, GpuCapacity... gpus) {
        return worker(id, WorkerState.READY, "linux", Map.of(), ram, 0, gpus);
    }

    public static WorkerCapacity worker(String id, WorkerState state, String os, Map<String, String> labels, double ram,
                                 double ramUsed, GpuCapacity... gpus) {
        return new WorkerCapacity(id, id, state, os, "amd64", labels, gib(ram), gib(ramUsed), 0, List.of(gpus),
                Set.of());
    }

    // ---- models ----------------------------------------------------------------------------------------------

    /**
     * 20 layers of 0.9 GiB weights + 0.1 GiB KV; compute 0.5 per device; output layer 1 GiB; RAM base 1 GiB.
     * All on one GPU: 20 + 0.5 + 1 = 21.5 GiB VRAM; split evenly over two, llama.cpp puts 11 layers on the first
     * (11.5 GiB) and 9 + the output layer on the second (10.5 GiB), 1 + 0.1 + 0.1 = 1.2 GiB RAM. CPU only: 22.6 GiB
     * RAM.
     */
    public static final ResourceEstimate L20 = new ResourceEstimate(gib(22.6), gib(21.5), ModelSizing.of(
            new LayeredSizing(4096, Collections.nCopies(20, gib(0.9)), gib(0.1), gib(0.5), gib(0.5), gib(0.1),
                    gib(1), gib(1), gib(1), gib(0.1), 0)));

    /** 40 GiB of weights + KV at 0.9 utilisation, 32 attention heads: a device must have 44.4 GiB / n. */
    public static final ResourceEstimate V40 = new ResourceEstimate(gib(2), gib(44.4), ModelSizing.of(
            new ShardedSizing(gib(40), 0.9, 0, gib(2), 32, false)));

    public static ResourceEstimate vllm(double deviceGib, int heads) {
        return new ResourceEstimate(gib(2), gib(deviceGib / 0.9), ModelSizing.of(
                new ShardedSizing(gib(deviceGib), 0.9, 0, gib(2), heads, false)));
    }

    public static ResourceEstimate mindie(double deviceGib) {
        return new ResourceEstimate(gib(4), gib(deviceGib / 0.8), ModelSizing.of(
                new ShardedSizing(gib(deviceGib), 0.8, 0, gib(4), 64, true)));
    }

    public static ResourceEstimate mindie(double deviceGib, int heads) {
        return new ResourceEstimate(gib(4), gib(deviceGib / 0.8), ModelSizing.of(
                new ShardedSizing(gib(deviceGib), 0.8, 0, gib(4), heads, true)));
    }

    /** What 12 NPUs of 64 GiB hold at MindIE's 0.8: more than one 8-NPU server, so 2 × 8 (world size 16). */
    public static final ResourceEstimate M12 = mindie(12 * 64 * 0.8);

    /** "w:[0, 1, …] ram=4.0 vram={0=51.2,…}": a MindIE node's part of {@link #M12}'s shape. */
    public static String mindieNode(int npus) {
        List<Integer> indexes = new ArrayList<>();
        for (int i = 0; i < npus; i++) {
            indexes.add(i);
        }
        return indexes + " ram=4.0 vram=" + indexes.stream().map(i -> i + "=51.2")
                .collect(Collectors.joining(",", "{", "}"));
    }

    public static final ResourceEstimate WHISPER = new ResourceEstimate(gib(3), gib(5), ModelSizing.of(
            new FixedSizing(new ResourceEstimate(gib(1), gib(5)), new ResourceEstimate(gib(3), 0))));

    public static PlacementRequest req(String backend, ResourceEstimate estimate) {
        return new PlacementRequest("m", backend, estimate, Map.of(), List.of(), Strategy.SPREAD, true, false, false,
                Map.of());
    }

    public static PlacementRequest req(String backend, ResourceEstimate estimate, boolean cpuOffloading,
                                boolean distributed) {
        return new PlacementRequest("m", backend, estimate, Map.of(), List.of(), Strategy.SPREAD, cpuOffloading,
                distributed, false, Map.of());
    }

    public static PlacementRequest selector(PlacementRequest r, Map<String, String> selector) {
        return new PlacementRequest(r.modelId(), r.backend(), r.estimate(), selector, r.gpuSelector(), r.strategy(),
                r.cpuOffloading(), r.distributedInference(), r.allowOvercommit(), r.measuredVramByProduct());
    }

    public static Arguments row(String why, List<WorkerCapacity> workers, PlacementRequest request, String expected) {
        return Arguments.of(why, workers, request, PlacementSettings.DEFAULT, expected);
    }

    public static Arguments row(String why, List<WorkerCapacity> workers, PlacementRequest request,
                         PlacementSettings settings, String expected) {
        return Arguments.of(why, workers, request, settings, expected);
    }

    public static final WorkerCapacity G24 = worker("g24", 64, nvidia(0, 24, 0, 0));
    public static final WorkerCapacity G80 = worker("g80", 128, nvidia(0, 80, 0, 0));
    public static final WorkerCapacity TWO16 = worker("two16", 64, nvidia(0, 16, 0, 0), nvidia(1, 16, 0, 0));
    public static final WorkerCapacity ONE16 = worker("one16", 64, nvidia(0, 16, 0, 0));
    public static final WorkerCapacity CPU = worker("cpu", 64);
    public static final WorkerCapacity NPU = worker("npu", 256, ascend(0, 64), ascend(1, 64), ascend(2, 64),
            ascend(3, 64));
    public static final WorkerCapacity MAC = worker("mac", WorkerState.READY, "darwin", Map.of(), 32, 0, apple(0, 24));

    /** The decision on these workers, described, is {@code expected}, whatever order the workers come in. */
    public static void assertPlaces(List<WorkerCapacity> workers, PlacementRequest request,
                                    PlacementSettings settings, String expected) {
        assertEquals(expected, describe(PlacementEngine.place(ClusterSnapshot.of(workers, settings), request)));
        List<WorkerCapacity> reversed = new ArrayList<>(workers);
        Collections.reverse(reversed);
        assertEquals(expected, describe(PlacementEngine.place(ClusterSnapshot.of(reversed, settings), request)),
                "the order the workers come in changes nothing");
    }

    public static String describe(PlacementDecision decision) {
        if (decision instanceof PlacementDecision.NoFit noFit) {
            return noFit.reason();
        }
        PlacementDecision.Placed p = (PlacementDecision.Placed) decision;
        StringBuilder s = new StringBuilder(p.workerId() + " " + p.shape().kind() + " gpus=" + p.gpuIndexes() + " "
                + claim(p.claim()) + " ngl=" + p.shape().gpuLayers());
        if (!p.shape().tensorSplit().isEmpty()) {
            s.append(" split=").append(p.shape().tensorSplit());
        }
        if (p.shape().tensorParallelSize() > 1) {
            s.append(" tp=").append(p.shape().tensorParallelSize());
        }
        if (p.shape().pipelineParallelSize() > 1) {
            s.append(" pp=").append(p.shape().pipelineParallelSize());
        }
        p.subordinates().forEach(sub -> s.append(" subs=").append(sub.workerId()).append(':')
                .append(sub.gpuIndexes()).append(' ').append(claim(sub.claim())));
        if (!p.warnings().isEmpty()) {
            s.append(" warn=").append(p.warnings());
        }
        return s.toString();
    }

    public static String claim(ResourceClaim claim) {
        return "ram=" + inGib(claim.ramBytes()) + " vram=" + claim.vramBytesByGpu().entrySet().stream()
                .sorted(Map.Entry.comparingByKey()).map(e -> e.getKey() + "=" + inGib(e.getValue()))
                .collect(Collectors.joining(",", "{", "}"));
    }

    public static String inGib(long bytes) {
        return String.format(Locale.ROOT, "%.1f", bytes / (double) GIB);
    }
}
