package dev.gpufleet.gateway.routing;

import java.time.Duration;
import java.util.Map;

/** Admission settings for tests, as the configuration would give them. */
public record TestAdmission(int defaultSlots, Map<String, Integer> slots, int gateways, int queuePerSlot,
                            Duration queueTimeout) implements AdmissionConfig {

    /** One gateway: it has every slot of each instance. */
    public TestAdmission(int defaultSlots, Map<String, Integer> slots, int queuePerSlot, Duration queueTimeout) {
        this(defaultSlots, slots, 1, queuePerSlot, queueTimeout);
    }
}
