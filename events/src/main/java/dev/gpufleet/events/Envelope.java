package dev.gpufleet.events;

import java.time.Clock;
import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * Every message on a gpufleet topic: {@code {"eventId","type","occurredAt","version","revision","payload"}}.
 * {@code revision} grows by one on every change of the entity; see {@link Revisions}.
 */
public record Envelope<P extends EventPayload>(
        UUID eventId, String type, Instant occurredAt, int version, long revision, P payload) {

    /** The schema version of the records in this module; bumped only for a breaking change. */
    public static final int CURRENT_VERSION = 1;

    public Envelope {
        Objects.requireNonNull(eventId, "eventId");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(occurredAt, "occurredAt");
        Objects.requireNonNull(payload, "payload");
        if (revision < 1) {
            throw new IllegalArgumentException("revision must be >= 1, was " + revision);
        }
    }

    public static <P extends EventPayload> Envelope<P> of(P payload, long revision, Clock clock) {
        return new Envelope<>(UUID.randomUUID(), EventTypes.nameOf(payload.getClass()), clock.instant(),
                CURRENT_VERSION, revision, payload);
    }

    /** The Kafka record key. */
    public String key() {
        return payload.entityId();
    }
}
