package dev.gpufleet.gateway.routing;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.Map;

/**
 * How many requests the gateway lets into each instance, and how many wait; env form e.g.
 * {@code GPUFLEET_GATEWAY_ADMISSION_QUEUE_PER_SLOT}. An instance takes as many requests at once as its backend
 * serves ({@link InstanceSlots}); past that, requests wait in line per model, and past the line, or after waiting
 * {@link #queueTimeout}, they are refused with 503 and {@code Retry-After}.
 */
@ConfigMapping(prefix = "gpufleet.gateway.admission")
public interface AdmissionConfig {

    /** The slots of an instance whose backend the gateway does not know (no launch plan, or a backend not listed). */
    @WithDefault("64")
    int defaultSlots();

    /**
     * Slots per backend name, where its parameters do not say ({@code gpufleet.gateway.admission.slots.vllm=128});
     * without an entry: llama-box 4 (the agent's {@code -np}), vLLM 256 (its {@code --max-num-seqs}).
     */
    Map<String, Integer> slots();

    /**
     * How many gateways share each instance (the gateway Deployment's replicas): each takes its share of an
     * instance's slots, so that together they send it no more than its backend serves (see
     * {@link InstanceSlots#share}).
     */
    @WithDefault("1")
    int gateways();

    /** How many requests may wait per slot of the model's routable instances (0: none wait). */
    @WithDefault("2")
    int queuePerSlot();

    /** A request that waited this long for a slot is refused. */
    @WithDefault("30s")
    Duration queueTimeout();
}
