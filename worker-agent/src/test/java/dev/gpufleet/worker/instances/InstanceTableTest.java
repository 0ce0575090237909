package dev.gpufleet.worker.instances;

import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.EventPayload;
import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.InstanceDeleted;
import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.ModelDeleted;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.util.Map;
import java.util.Optional;

import static dev.gpufleet.worker.instances.Instances.ME;
import static dev.gpufleet.worker.instances.Instances.OTHER;
import static dev.gpufleet.worker.instances.Instances.placed;
import static org.junit.jupiter.api.Assertions.assertEquals;

class InstanceTableTest {
    private final InstanceTable table = new InstanceTable();

    private static Envelope<EventPayload> at(long revision, EventPayload payload) {
        return Envelope.of(payload, revision, Clock.systemUTC());
    }

    @Test
    void onlyNewerRevisionsChangeAnInstance() {
        InstanceChanged scheduled = placed("i", ME, InstanceState.SCHEDULED, 0);
        InstanceChanged running = placed("i", ME, InstanceState.RUNNING, 0);
        InstanceChanged moved = placed("i", OTHER, InstanceState.SCHEDULED, 0);

        assertEquals(InstanceTable.Outcome.APPLIED, table.apply(at(2, scheduled)));
        assertEquals(InstanceTable.Outcome.APPLIED, table.apply(at(3, running)));
        assertEquals(InstanceTable.Outcome.STALE, table.apply(at(3, moved)), "redelivered revision");
        assertEquals(InstanceTable.Outcome.STALE, table.apply(at(1, moved)), "older revision");

        assertEquals(Optional.of(running), table.current("i"));
        assertEquals(Map.of("i", running), table.live());
    }

    @Test
    void aDeletedInstanceCannotBeRevivedByAnOlderMessage() {
        table.apply(at(5, placed("i", ME, InstanceState.RUNNING, 0)));

        assertEquals(InstanceTable.Outcome.APPLIED, table.apply(at(6, new InstanceDeleted("i", "m", ME))));
        assertEquals(InstanceTable.Outcome.STALE, table.apply(at(5, placed("i", ME, InstanceState.RUNNING, 0))));

        assertEquals(Optional.empty(), table.current("i"));
        assertEquals(Map.of(), table.live());
    }

    @Test
    void aTombstoneForgetsTheKey() {
        table.apply(at(1, placed("i", ME, InstanceState.RUNNING, 0)));

        assertEquals(InstanceTable.Outcome.APPLIED, table.tombstone("i"));
        assertEquals(InstanceTable.Outcome.STALE, table.tombstone("i"));
        assertEquals(InstanceTable.Outcome.STALE, table.tombstone("never-seen"));
        assertEquals(Map.of(), table.live());
    }

    @Test
    void otherEventsAreNotInstanceEvents() {
        assertEquals(InstanceTable.Outcome.NOT_AN_INSTANCE_EVENT, table.apply(at(1, new ModelDeleted("m", "demo"))));
    }
}
