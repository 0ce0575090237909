package dev.gpufleet.worker.instances;

import dev.gpufleet.events.InstanceObserved;

/** Where the supervisor's observations go ({@code gpufleet.instance-status} in the agent, a list in tests). */
@FunctionalInterface
public interface ObservationSink {
    /** Must not block: it is called on the supervisor's only thread. */
    void publish(InstanceObserved observation);
}
