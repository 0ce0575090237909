package dev.gpufleet.gateway.routing;

import java.time.Duration;
import java.util.Map;

/** Admission settings for tests, as the configuration would give them. */
public record TestAdmission(int defaultSlots, Map<String, Integer> slots, int queuePerSlot, Duration queueTimeout)
        implements AdmissionConfig {
}
