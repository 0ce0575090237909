package dev.gpufleet.gateway.health;

import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CatchUpTest {
    private static final long SETTLE = 1_000;
    private static final TopicPartition MODELS = new TopicPartition("gpufleet.models", 0);
    private static final TopicPartition INSTANCES = new TopicPartition("gpufleet.instances", 0);

    @Test
    void notCaughtUpBeforeTheEndOffsetsAreKnown() {
        CatchUp catchUp = new CatchUp(SETTLE);
        catchUp.applied(MODELS, 10);
        assertFalse(catchUp.caughtUp(0));
    }

    @Test
    void emptyTopicsAreCaughtUpAtOnce() {
        CatchUp catchUp = new CatchUp(SETTLE);
        catchUp.targets(Map.of(MODELS, 0L, INSTANCES, 0L));
        assertTrue(catchUp.caughtUp(0));
        catchUp.targets(Map.of());
        assertTrue(catchUp.caughtUp(0));
    }

    @Test
    void caughtUpOnceEveryPartitionAppliedItsLastRecordAtTheStartAndForGood() {
        CatchUp catchUp = new CatchUp(SETTLE);
        catchUp.targets(Map.of(MODELS, 3L, INSTANCES, 5L));
        catchUp.applied(MODELS, 0);
        catchUp.applied(MODELS, 2);
        catchUp.applied(INSTANCES, 3);
        assertFalse(catchUp.caughtUp(0), "instances: offset 4 not applied yet");
        catchUp.targets(Map.of(MODELS, 3L, INSTANCES, 4L));
        assertFalse(catchUp.caughtUp(0), "the targets are the first seen after the start");
        catchUp.applied(INSTANCES, 4);
        assertTrue(catchUp.caughtUp(0));
        catchUp.targets(Map.of(MODELS, 99L, INSTANCES, 99L));
        assertTrue(catchUp.caughtUp(0), "once caught up, it stays so");
    }

    @Test
    void aLogThatEndsInAGapIsCaughtUpOnceThePositionHasStoodThereWithNothingMoreApplied() {
        CatchUp catchUp = new CatchUp(SETTLE);
        catchUp.targets(Map.of(MODELS, 10L));
        catchUp.applied(MODELS, 7); // offsets 8 and 9 are not records (compacted away, say)
        catchUp.positions(Map.of(MODELS, 9L), 0);
        assertFalse(catchUp.caughtUp(5_000), "the position has not reached the end");
        catchUp.positions(Map.of(MODELS, 10L), 5_000);
        assertFalse(catchUp.caughtUp(5_000 + SETTLE - 1), "what was fetched may not be applied yet");
        catchUp.applied(MODELS, 7); // read again: nothing new applied
        catchUp.positions(Map.of(MODELS, 10L), 5_500);
        assertTrue(catchUp.caughtUp(5_000 + SETTLE));
    }

    @Test
    void recordsStillBeingAppliedRestartTheSettling() {
        CatchUp catchUp = new CatchUp(SETTLE);
        catchUp.targets(Map.of(MODELS, 10L));
        catchUp.positions(Map.of(MODELS, 10L), 0);
        catchUp.applied(MODELS, 3);
        catchUp.positions(Map.of(MODELS, 10L), 800);
        assertFalse(catchUp.caughtUp(SETTLE), "a record was applied at 800: the settling starts there");
        assertTrue(catchUp.caughtUp(800 + SETTLE));
    }
}
