package dev.gpufleet.scheduler.placement.explain;

import dev.gpufleet.scheduler.placement.ClusterSnapshot;
import dev.gpufleet.scheduler.placement.PlacementDecision;
import dev.gpufleet.scheduler.placement.PlacementEngine;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.gpufleet.scheduler.placement.PlacementFixtures.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/** A placement's one-line rationale. */
class RationaleTest {

    @Test
    void theRationaleSaysShapeClaimAndScore() {
        var placed = assertInstanceOf(PlacementDecision.Placed.class,
                PlacementEngine.place(ClusterSnapshot.of(List.of(TWO16)), req("llama-box", L20)));
        assertEquals("tensor split on two16 GPU 0,1: claims 22.0 GiB VRAM, 1.2 GiB RAM; score 23.3 (spread)",
                placed.rationale());
        placed = assertInstanceOf(PlacementDecision.Placed.class,
                PlacementEngine.place(ClusterSnapshot.of(List.of(CPU)), req("llama-box", null)));
        assertEquals("CPU only on cpu: no estimate, claims 0.0 GiB RAM; score 100.0 (spread)", placed.rationale());
    }}
