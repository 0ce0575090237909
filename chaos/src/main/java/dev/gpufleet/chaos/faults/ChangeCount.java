package dev.gpufleet.chaos.faults;

/**
 * How a change of a model's instance count came out: asked to change by {@code expected} (+1 one more replica, -1
 * one fewer), the count changed by {@code net}. Short of the change is a lost change; past it a doubled one. Pure.
 */
public record ChangeCount(int lost, int doubled) {
    public static ChangeCount of(int expected, int net) {
        int direction = expected < 0 ? -1 : 1;
        return new ChangeCount(Math.max(0, (expected - net) * direction), Math.max(0, (net - expected) * direction));
    }
}
