package dev.gpufleet.worker.instances;

import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.EventPayload;
import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.InstanceDeleted;
import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.ModelDeleted;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Optional;

import static dev.gpufleet.worker.instances.Instances.ME;
import static dev.gpufleet.worker.instances.Instances.OTHER;
import static dev.gpufleet.worker.instances.Instances.placed;
import static org.junit.jupiter.api.Assertions.assertEquals;

class InstanceTableTest {
    private Instant now = Instant.parse("2026-03-01T10:00:00Z");
    private final Clock clock = new Clock() {
        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Instant instant() {
            return now;
        }
    };
    private final InstanceTable table = new InstanceTable(clock);

    private Envelope<EventPayload> at(long revision, EventPayload payload) {
        return Envelope.of(payload, revision, clock);
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
    void aTombstoneDeletesTheInstanceAndALateOlderChangeCannotBringItBack() {
        table.apply(at(4, placed("i", ME, InstanceState.RUNNING, 0)));

        assertEquals(InstanceTable.Outcome.APPLIED, table.tombstone("i"), "a tombstone whose deletion was missed");
        assertEquals(Map.of(), table.live());
        // a relay hand-over published an older change again after the tombstone
        assertEquals(InstanceTable.Outcome.STALE, table.apply(at(3, placed("i", ME, InstanceState.RUNNING, 0))));
        assertEquals(InstanceTable.Outcome.STALE, table.apply(at(4, placed("i", ME, InstanceState.RUNNING, 0))));
        assertEquals(Optional.empty(), table.current("i"));

        assertEquals(InstanceTable.Outcome.STALE, table.tombstone("i"));
        assertEquals(InstanceTable.Outcome.STALE, table.tombstone("never-seen"));
        assertEquals(Map.of(), table.live());
    }

    @Test
    void theDeletedInstanceAndTheTombstoneAfterItKeepOneMarker() {
        table.apply(at(1, placed("i", ME, InstanceState.RUNNING, 0)));
        table.apply(at(2, new InstanceDeleted("i", "m", ME)));
        assertEquals(InstanceTable.Outcome.STALE, table.tombstone("i"), "already deleted");
        assertEquals(InstanceTable.Outcome.STALE, table.apply(at(1, placed("i", ME, InstanceState.RUNNING, 0))));
        assertEquals(1, table.markers());
    }

    @Test
    void markersAreForgottenADayAfterTheDeletion() {
        for (int n = 0; n < 100; n++) {
            table.apply(at(1, placed("i" + n, ME, InstanceState.RUNNING, 0)));
            table.apply(at(2, new InstanceDeleted("i" + n, "m", ME)));
        }
        now = now.plus(Duration.ofHours(12));
        table.apply(at(1, placed("j", ME, InstanceState.RUNNING, 0)));
        table.tombstone("j");
        assertEquals(101, table.markers());
        assertEquals(InstanceTable.Outcome.STALE, table.apply(at(1, placed("i7", ME, InstanceState.RUNNING, 0))));

        now = now.plus(InstanceTable.DELETED_RETENTION.minus(Duration.ofHours(12)));
        table.apply(at(1, placed("k", ME, InstanceState.RUNNING, 0)));
        assertEquals(1, table.markers(), "those deleted a day ago are gone, the later one stays");
        assertEquals(InstanceTable.Outcome.STALE, table.apply(at(1, placed("j", ME, InstanceState.RUNNING, 0))));
    }

    @Test
    void otherEventsAreNotInstanceEvents() {
        assertEquals(InstanceTable.Outcome.NOT_AN_INSTANCE_EVENT, table.apply(at(1, new ModelDeleted("m", "demo"))));
    }
}
