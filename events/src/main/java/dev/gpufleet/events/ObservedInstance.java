package dev.gpufleet.events;

/** An instance the agent runs, as listed in its heartbeat. */
public record ObservedInstance(String instanceId, InstanceState state) {
}
