package dev.gpufleet.scheduler.placement.shape;

import dev.gpufleet.events.WorkerState;
import dev.gpufleet.scheduler.placement.ClusterSnapshot;
import dev.gpufleet.scheduler.placement.PlacementDecision;
import dev.gpufleet.scheduler.placement.PlacementEngine;
import dev.gpufleet.scheduler.placement.PlacementRequest;
import dev.gpufleet.scheduler.placement.PlacementTable;
import dev.gpufleet.scheduler.placement.WorkerCapacity;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.provider.Arguments;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static dev.gpufleet.scheduler.placement.PlacementFixtures.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** vLLM with Ray and MindIE across workers: the group sizes tried, who may join, and that a worker joins one group. */
class DeviceGroupSearchTest extends PlacementTable {

    static Stream<Arguments> rows() {
        PlacementRequest across = req("mindie", M12, false, true);
        String small = "needs a GPU of 768.0 GiB with 80% of it free, largest free GPU has 63.0 GiB, its 8 GPUs"
                + " together 504.0 GiB";
        return Stream.of(
                row("vLLM with Ray: same GPU count on each worker, only with distributed inference",
                        List.of(worker("a", 64, nvidia(0, 24, 0, 0)), worker("b", 64, nvidia(0, 24, 0, 0))),
                        req("vllm", vllm(40, 32), false, true),
                        "a DISTRIBUTED gpus=[0] ram=2.0 vram={0=21.6} ngl=999 pp=2 subs=b:[0] ram=2.0"
                                + " vram={0=21.6}"),
                row("vLLM with Ray: one distributed vLLM instance per worker",
                        List.of(new WorkerCapacity("a", "a", WorkerState.READY, "linux", "amd64", Map.of(), gib(64),
                                        0, 0, List.of(nvidia(0, 24, 0, 0)), Set.of("other-model")),
                                worker("b", 64, nvidia(0, 24, 0, 0))),
                        req("vllm", vllm(40, 32), false, true),
                        "No suitable workers. a: needs a GPU of 44.4 GiB with 90% of it free, largest free GPU has"
                                + " 23.0 GiB; already in a distributed vLLM instance of other-model; b: needs a GPU"
                                + " of 44.4 GiB with 90% of it free, largest free GPU has 23.0 GiB"),
                row("2 servers × 8 NPUs for a model of 12 NPUs: world size 16, 8 on each",
                        List.of(npuServer("a", 256, 8), npuServer("b", 256, 8)), across,
                        "a DISTRIBUTED gpus=" + mindieNode(8) + " ngl=999 tp=16 subs=b:" + mindieNode(8)),
                row("without distributed inference a model too large for one server stays PENDING",
                        List.of(npuServer("a", 256, 8), npuServer("b", 256, 8)), req("mindie", M12, false, false),
                        "No suitable workers. a: " + small + "; b: " + small),
                row("the world size must divide the heads: 16 NPUs cannot serve 12 heads",
                        List.of(npuServer("a", 256, 8), npuServer("b", 256, 8)),
                        req("mindie", mindie(12 * 64 * 0.8, 12), false, true),
                        "No suitable workers. a: " + small + "; across workers: NPUs like these need a world size of"
                                + " at least 16, and none from there divides the model's 12 attention heads; b: "
                                + small + "; across workers: NPUs like these need a world size of at least 16, and"
                                + " none from there divides the model's 12 attention heads"),
                row("an NPU without a device IP keeps its server out of the group", List.of(npuServer("a", 256, 8),
                                npuServer("b", 256, 8, 3), npuServer("c", 256, 8)), across,
                        "a DISTRIBUTED gpus=" + mindieNode(8) + " ngl=999 tp=16 subs=c:" + mindieNode(8)),
                row("and is named when no group forms", List.of(npuServer("a", 256, 8), npuServer("b", 256, 8, 3)),
                        across, "No suitable workers. a: " + small + "; b: " + small
                                + "; across workers: NPU 3 has no device IP (hccn_tool)"),
                row("a server short of RAM for its node is left out", List.of(npuServer("a", 256, 8),
                                npuServer("b", 5, 8), npuServer("c", 256, 8)), across,
                        "a DISTRIBUTED gpus=" + mindieNode(8) + " ngl=999 tp=16 subs=c:" + mindieNode(8)),
                row("and is named when no group forms", List.of(npuServer("a", 256, 8), npuServer("b", 5, 8)),
                        across, "No suitable workers. a: " + small + "; b: " + small
                                + ", and 4.0 GiB RAM, 3.0 GiB allocatable"),
                row("4 + 4 NPUs when no server has 8 free: the same count on each, a power of two",
                        List.of(npuServer("a", 256, 6), npuServer("b", 256, 4)),
                        req("mindie", mindie(6 * 64 * 0.8), false, true),
                        "a DISTRIBUTED gpus=" + mindieNode(4) + " ngl=999 tp=8 subs=b:" + mindieNode(4)));
    }

    @Test
    void aRayGroupKeepsItsWorkersFromTheNextOne() {
        ClusterSnapshot cluster = ClusterSnapshot.of(List.of(worker("a", 64, nvidia(0, 24, 0, 0)),
                worker("b", 64, nvidia(0, 24, 0, 0)), worker("c", 64, nvidia(0, 48, 0, 0))));
        PlacementRequest request = req("vllm", vllm(40, 32), false, true);
        var single = assertInstanceOf(PlacementDecision.Placed.class, PlacementEngine.place(cluster, request));
        assertEquals("c", single.workerId(), "one worker comes before Ray");
        cluster = cluster.withPlacement(single, "m", false);
        var first = assertInstanceOf(PlacementDecision.Placed.class, PlacementEngine.place(cluster, request));
        assertEquals("a", first.workerId());
        assertEquals(1, first.subordinates().size());
        cluster = cluster.withPlacement(first, "m", true);
        assertEquals(Set.of("m"), cluster.worker("b").distributedVllmModels());
    }
    @Test
    void aMindieGroupKeepsItsWorkersFromTheNextOneAndGivesThemBack() {
        ClusterSnapshot cluster = ClusterSnapshot.of(List.of(npuServer("a", 256, 12), npuServer("b", 256, 12),
                npuServer("c", 256, 12)));
        PlacementRequest request = req("mindie", M12, false, true);
        var first = assertInstanceOf(PlacementDecision.Placed.class, PlacementEngine.place(cluster, request));
        assertEquals("a", first.workerId());
        assertEquals(List.of("b"), first.subordinates().stream().map(s -> s.workerId()).toList());
        assertEquals("MindIE across 2 workers × 8 NPUs (world size 16) on a GPU 0,1,2,3,4,5,6,7 + b GPU"
                + " 0,1,2,3,4,5,6,7: claims 819.2 GiB VRAM, 4.0 GiB RAM; score 18.7 (spread)", first.rationale());
        cluster = cluster.withPlacement(first, "m", "mindie");
        assertEquals(Set.of("m"), cluster.worker("b").distributedMindieModels());
        assertEquals(Set.of(), cluster.worker("b").distributedVllmModels());
        // a and b still have 8 free NPUs each, but one MindIE group per worker: c alone cannot form another
        var second = assertInstanceOf(PlacementDecision.NoFit.class, PlacementEngine.place(cluster, request));
        assertTrue(second.perWorker().get("a").endsWith("across workers: already in a MindIE instance across"
                + " workers of m"), second.perWorker().get("a"));
        cluster = cluster.withoutPlacement(first, "m", "mindie");
        assertEquals(Set.of(), cluster.worker("b").distributedMindieModels());
        assertInstanceOf(PlacementDecision.Placed.class, PlacementEngine.place(cluster, request));
    }}
