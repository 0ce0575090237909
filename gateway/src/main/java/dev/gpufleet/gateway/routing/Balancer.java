package dev.gpufleet.gateway.routing;

import dev.gpufleet.events.InstanceChanged;
import jakarta.inject.Singleton;

import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Hands out the routable instances of a model by {@link InstanceChoice}, counting the requests in flight on each.
 * Whoever acquires a {@link Lease} releases it when the exchange with the backend is over, however it ends.
 */
@Singleton
public class Balancer {
    private final RoutingTable table;
    /** Guarded by {@code this}; an instance is absent once nothing is in flight on it. */
    private final Map<String, Integer> outstanding = new HashMap<>();
    private long turn;

    public Balancer(RoutingTable table) {
        this.table = table;
    }

    /** A routable instance of the model other than {@code excluded}, now counted as busy; empty if none. */
    public synchronized Optional<Lease> acquire(String modelName, Collection<String> excluded) {
        List<InstanceChanged> routable = table.routableInstances(modelName);
        List<String> ids = routable.stream().map(InstanceChanged::instanceId).toList();
        return InstanceChoice.choose(ids, outstanding, excluded, turn++).map(id -> {
            outstanding.merge(id, 1, Integer::sum);
            return new Lease(routable.get(ids.indexOf(id)));
        });
    }

    public synchronized int outstanding(String instanceId) {
        return outstanding.getOrDefault(instanceId, 0);
    }

    private synchronized void release(String instanceId) {
        outstanding.computeIfPresent(instanceId, (id, count) -> count <= 1 ? null : count - 1);
    }

    /** One request's hold on an instance. */
    public final class Lease {
        private final InstanceChanged instance;
        private final AtomicBoolean released = new AtomicBoolean();

        private Lease(InstanceChanged instance) {
            this.instance = instance;
        }

        public InstanceChanged instance() {
            return instance;
        }

        /** Idempotent: only the first call counts. */
        public void release() {
            if (released.compareAndSet(false, true)) {
                Balancer.this.release(instance.instanceId());
            }
        }
    }
}
