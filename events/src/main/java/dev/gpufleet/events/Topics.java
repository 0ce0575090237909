package dev.gpufleet.events;

import java.util.List;

/** Kafka topic names. Every producer and consumer takes them from here. */
public final class Topics {
    /** Model specs; key modelId; compacted. */
    public static final String MODELS = "gpufleet.models";
    /** Worker heartbeats; key workerId; compacted. */
    public static final String WORKERS = "gpufleet.workers";
    /** What agents observe about instances; key instanceId; not compacted. */
    public static final String INSTANCE_STATUS = "gpufleet.instance-status";
    /** Scheduler-owned instance state; key instanceId; compacted. */
    public static final String INSTANCES = "gpufleet.instances";
    /** Messages a consumer could not parse, with where they came from. */
    public static final String DEAD_LETTER = "gpufleet.dead-letter";

    /** Topics whose latest message per key is the entity's whole state. */
    public static final List<String> COMPACTED = List.of(MODELS, WORKERS, INSTANCES);

    /** Every topic gpufleet uses; installers and test brokers create exactly these. */
    public static final List<String> ALL = List.of(MODELS, WORKERS, INSTANCE_STATUS, INSTANCES, DEAD_LETTER);

    public static boolean isCompacted(String topic) {
        return COMPACTED.contains(topic);
    }

    private Topics() {
    }
}
