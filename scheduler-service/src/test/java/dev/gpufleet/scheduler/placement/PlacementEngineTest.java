package dev.gpufleet.scheduler.placement;

import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.gpufleet.scheduler.placement.PlacementFixtures.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/** The engine over a changing snapshot: claims made and given back. */
class PlacementEngineTest {

    @Test
    void aClaimJustMadeCountsForTheNextReplica() {
        ClusterSnapshot cluster = ClusterSnapshot.of(List.of(worker("w-1", 64, nvidia(0, 24, 0, 0)),
                worker("w-2", 64, nvidia(0, 24, 0, 0))));
        PlacementRequest request = req("llama-box", L20);
        var first = assertInstanceOf(PlacementDecision.Placed.class, PlacementEngine.place(cluster, request));
        assertEquals("w-1", first.workerId());
        cluster = cluster.withPlacement(first, "m", false);
        var second = assertInstanceOf(PlacementDecision.Placed.class, PlacementEngine.place(cluster, request));
        assertEquals("w-2", second.workerId());
        cluster = cluster.withPlacement(second, "m", false);
        assertInstanceOf(PlacementDecision.NoFit.class, PlacementEngine.place(cluster,
                req("llama-box", L20, false, false)));
        // giving the first back frees its GPU again
        var third = assertInstanceOf(PlacementDecision.Placed.class,
                PlacementEngine.place(cluster.withoutPlacement(first, "m", false), request));
        assertEquals("w-1", third.workerId());
    }}
