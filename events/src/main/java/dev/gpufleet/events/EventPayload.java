package dev.gpufleet.events;

/**
 * The payload of an {@link Envelope}. Each payload carries the whole current state of its entity
 * (state-carried transfer), never a delta, so a consumer can rebuild itself from a topic's beginning.
 */
public sealed interface EventPayload
        permits ModelChanged, ModelDeleted, WorkerReported, InstanceObserved, InstanceChanged, InstanceDeleted {

    /** The Kafka record key: the id of the entity this event is about. */
    String entityId();
}
