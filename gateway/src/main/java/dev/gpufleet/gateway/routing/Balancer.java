package dev.gpufleet.gateway.routing;

import dev.gpufleet.events.InstanceChanged;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Hands out the routable instances of a model by {@link InstanceChoice}, counting the requests in flight on each
 * and keeping each instance's {@link InstanceHealth}. Whoever acquires a {@link Lease} releases it when the
 * exchange with the backend is over, however it ends, and reports whether the instance failed.
 */
@Singleton
public class Balancer {
    private final RoutingTable table;
    private final RoutingConfig config;
    private final InstanceHealth.Policy healthPolicy;
    private final Clock clock;
    /** Guarded by {@code this}; an instance is absent once nothing is in flight on it. */
    private final Map<String, Integer> outstanding = new HashMap<>();
    /** Guarded by {@code this}; an instance is absent while it has no failure to its name. */
    private final Map<String, InstanceHealth> health = new HashMap<>();
    private long turn;

    @Inject
    public Balancer(RoutingTable table, RoutingConfig config) {
        this(table, config, Clock.systemUTC());
    }

    Balancer(RoutingTable table, RoutingConfig config, Clock clock) {
        this.table = table;
        this.config = config;
        this.healthPolicy = new InstanceHealth.Policy(config.failuresToSkip(), config.skipFor());
        this.clock = clock;
    }

    /** The block size of prefix affinity keys ({@link PrefixKey}), in UTF-16 chars of prompt text. */
    public int affinityBlockChars() {
        return config.affinityBlockChars();
    }

    /** How many leading blocks an affinity key hashes at most (0: affinity off). */
    public int affinityBlocks() {
        return config.affinityBlocks();
    }

    /**
     * Whether a request for this model needs its prefix affinity key: only where affinity is on and the model has
     * more than one routable instance to choose among (with one, the key could not change the choice, so the
     * gateway need not decode and hash the prompt).
     */
    public boolean affinityMatters(String modelName) {
        return config.affinityBlocks() > 0 && table.routableInstances(modelName).size() > 1;
    }

    /** A routable instance of the model other than {@code excluded}, now counted as busy; empty if none. */
    public synchronized Optional<Lease> acquire(String modelName, Collection<String> excluded, OptionalLong affinity) {
        List<InstanceChanged> routable = table.routableInstances(modelName);
        if (routable.size() == 1) {
            // what InstanceChoice decides for one candidate (even a skipped one: no other is left), without its lists
            InstanceChanged only = routable.get(0);
            if (excluded.contains(only.instanceId())) {
                return Optional.empty();
            }
            turn++;
            outstanding.merge(only.instanceId(), 1, Integer::sum);
            return Optional.of(new Lease(only));
        }
        List<String> ids = new ArrayList<>(routable.size());
        List<String> skipped = List.of();
        Instant now = health.isEmpty() ? null : clock.instant();
        for (InstanceChanged instance : routable) {
            String id = instance.instanceId();
            ids.add(id);
            InstanceHealth state = now == null ? null : health.get(id);
            if (state != null && state.skippedAt(now)) {
                if (skipped.isEmpty()) {
                    skipped = new ArrayList<>(2);
                }
                skipped.add(id);
            }
        }
        Optional<String> chosen = InstanceChoice.choose(ids, outstanding, excluded, skipped, affinity,
                config.affinitySlack(), turn++);
        if (chosen.isEmpty()) {
            return Optional.empty();
        }
        outstanding.merge(chosen.get(), 1, Integer::sum);
        return Optional.of(new Lease(routable.get(ids.indexOf(chosen.get()))));
    }

    public Optional<Lease> acquire(String modelName, Collection<String> excluded) {
        return acquire(modelName, excluded, OptionalLong.empty());
    }

    public synchronized int outstanding(String instanceId) {
        return outstanding.getOrDefault(instanceId, 0);
    }

    public synchronized InstanceHealth health(String instanceId) {
        return health.getOrDefault(instanceId, InstanceHealth.GOOD);
    }

    private synchronized void release(String instanceId, boolean failed) {
        outstanding.computeIfPresent(instanceId, (id, count) -> count <= 1 ? null : count - 1);
        if (failed) {
            health.put(instanceId, health.getOrDefault(instanceId, InstanceHealth.GOOD)
                    .afterFailure(clock.instant(), healthPolicy));
        } else {
            health.remove(instanceId);
        }
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

        /** The instance answered (any status below 500). Idempotent with {@link #failed}: the first call counts. */
        public void release() {
            if (released.compareAndSet(false, true)) {
                Balancer.this.release(instance.instanceId(), false);
            }
        }

        /** The instance could not be reached, answered 5xx, timed out or broke off its answer. */
        public void failed() {
            if (released.compareAndSet(false, true)) {
                Balancer.this.release(instance.instanceId(), true);
            }
        }
    }
}
