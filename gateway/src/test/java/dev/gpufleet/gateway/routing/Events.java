package dev.gpufleet.gateway.routing;

import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.EventPayload;
import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.InstanceDeleted;
import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.ModelAnalysis;
import dev.gpufleet.events.ModelChanged;
import dev.gpufleet.events.ModelDeleted;
import dev.gpufleet.events.ModelSource;
import dev.gpufleet.events.ModelSpec;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Envelopes as the registry and the scheduler publish them, at a given revision and time. */
public final class Events {
    public static final Instant T0 = Instant.parse("2026-11-26T12:00:00Z");

    private Events() {
    }

    public static ModelSpec spec(String name) {
        return new ModelSpec(name, new ModelSource(ModelSource.HUGGINGFACE, "Qwen/Qwen2.5-0.5B-Instruct-GGUF",
                "*q4_k_m.gguf", null, null, null, null), "llama-box", null, List.of(), Map.of(), 1, List.of("llm"),
                "spread", true, false, Map.of(), List.of(), true);
    }

    public static Envelope<EventPayload> modelChanged(String id, String name, long revision, long atSecond) {
        return envelope(new ModelChanged(id, spec(name), ModelAnalysis.pending(), null, null), revision, atSecond);
    }

    public static Envelope<EventPayload> modelDeleted(String id, String name, long revision, long atSecond) {
        return envelope(new ModelDeleted(id, name), revision, atSecond);
    }

    public static Envelope<EventPayload> instanceChanged(String id, String modelId, InstanceState state,
                                                         String endpoint, long revision) {
        return envelope(new InstanceChanged(id, id + "-name", modelId, "model-of-" + modelId, "w-1", "gpu-node-1",
                List.of(0), List.of(), null, state, null, endpoint, 0, null), revision, revision);
    }

    public static Envelope<EventPayload> instanceDeleted(String id, String modelId, long revision) {
        return envelope(new InstanceDeleted(id, modelId, "w-1"), revision, revision);
    }

    public static Envelope<EventPayload> envelope(EventPayload payload, long revision, long atSecond) {
        return new Envelope<>(UUID.nameUUIDFromBytes((payload.entityId() + "@" + revision).getBytes()),
                payload.getClass().getSimpleName(), T0.plusSeconds(atSecond), Envelope.CURRENT_VERSION, revision,
                payload);
    }
}
