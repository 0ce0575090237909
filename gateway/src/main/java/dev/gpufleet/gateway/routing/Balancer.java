package dev.gpufleet.gateway.routing;

import dev.gpufleet.events.InstanceChanged;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Hands out the routable instances of a model by {@link InstanceChoice}, counting the requests in flight on each
 * and keeping each instance's {@link InstanceHealth}. Whoever acquires a {@link Lease} releases it when the
 * exchange with the backend is over, however it ends, and reports whether the instance failed.
 *
 * <p>Admission: an instance takes at most its slots ({@link InstanceSlots}) in flight, this gateway's share of
 * them where several gateways send to it ({@code gateways}). When every candidate is
 * full, a request may wait in its model's line (at most {@code queue-per-slot} times the model's slots); a lease
 * that is released, or an instance that becomes routable, goes to the first in line. Past the line the request
 * is refused ({@link Refusal#QUEUE_FULL}). The line is touched only when instances are full, so the usual request
 * costs one more map lookup under the lock it took already.
 */
@Singleton
public class Balancer {
    /** What {@link #admit} made of a request: a lease now, or why not. */
    public sealed interface Admission permits Lease, Refusal {
    }

    public enum Refusal implements Admission {
        /** No routable instance (or none but those already tried). */
        NO_INSTANCE,
        /** Every candidate is full; the waiter is in line and will be {@link Waiter#admitted} or time out. */
        QUEUED,
        /** Every candidate is full and the line too. */
        QUEUE_FULL
    }

    /** A request waiting in line for a slot. */
    public interface Waiter {
        /**
         * The waiter holds this lease now. Called on whichever thread released a slot, outside the balancer's lock;
         * a waiter that gave up meanwhile (and whose {@link #cancel} came too late) releases it at once.
         */
        void admitted(Lease lease);
    }

    private record Queued(Waiter waiter, Collection<String> excluded, OptionalLong affinity) {
    }

    /** An instance's slots, worked out once per version of its event rather than per request. */
    private record Slots(InstanceChanged source, int slots) {
    }

    private static final int MAX_SLOTS_KEPT = 10_000;

    private final RoutingTable table;
    private final RoutingConfig config;
    private final AdmissionConfig admission;
    private final InstanceHealth.Policy healthPolicy;
    private final Clock clock;
    /** Guarded by {@code this}; an instance is absent once nothing is in flight on it. */
    private final Map<String, Integer> outstanding = new HashMap<>();
    /** Guarded by {@code this}; an instance is absent while it has no failure to its name. */
    private final Map<String, InstanceHealth> health = new HashMap<>();
    /** Guarded by {@code this}: by instance id. */
    private final Map<String, Slots> slots = new HashMap<>();
    /** Guarded by {@code this}: the line of each model that has one. */
    private final Map<String, ArrayDeque<Queued>> waiting = new HashMap<>();
    private int waitingCount;
    private long turn;

    @Inject
    public Balancer(RoutingTable table, RoutingConfig config, AdmissionConfig admission) {
        this(table, config, admission, Clock.systemUTC());
    }

    Balancer(RoutingTable table, RoutingConfig config, AdmissionConfig admission, Clock clock) {
        this.table = table;
        this.config = config;
        this.admission = admission;
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

    /** How long a request may wait in line for a slot. */
    public Duration queueTimeout() {
        return admission.queueTimeout();
    }

    /**
     * Whether a request for this model needs its prefix affinity key: only where affinity is on and the model has
     * more than one routable instance to choose among (with one, the key could not change the choice, so the
     * gateway need not decode and hash the prompt).
     */
    public boolean affinityMatters(String modelName) {
        return config.affinityBlocks() > 0 && table.routableInstances(modelName).size() > 1;
    }

    /**
     * A routable instance of the model other than {@code excluded} with a free slot, now counted as busy; else, if
     * {@code waiter} is given and every candidate is full, a place in the model's line while there is room.
     */
    public Admission admit(String modelName, Collection<String> excluded, OptionalLong affinity, Waiter waiter) {
        synchronized (this) {
            List<InstanceChanged> routable = table.routableInstances(modelName);
            InstanceChanged chosen = choose(routable, excluded, affinity);
            if (chosen != null) {
                return lease(modelName, chosen);
            }
            if (!anyCandidate(routable, excluded)) {
                return Refusal.NO_INSTANCE;
            }
            if (waiter == null) {
                return Refusal.QUEUE_FULL;
            }
            ArrayDeque<Queued> line = waiting.get(modelName);
            int size = line == null ? 0 : line.size();
            if (size >= queueBound(routable)) {
                return Refusal.QUEUE_FULL;
            }
            if (line == null) {
                line = new ArrayDeque<>();
                waiting.put(modelName, line);
            }
            line.addLast(new Queued(waiter, excluded, affinity));
            waitingCount++;
            return Refusal.QUEUED;
        }
    }

    /** As {@link #admit} without a line: a lease now, or none. */
    public Optional<Lease> acquire(String modelName, Collection<String> excluded, OptionalLong affinity) {
        Admission admitted = admit(modelName, excluded, affinity, null);
        return admitted instanceof Lease lease ? Optional.of(lease) : Optional.empty();
    }

    public Optional<Lease> acquire(String modelName, Collection<String> excluded) {
        return acquire(modelName, excluded, OptionalLong.empty());
    }

    /**
     * Takes the waiter out of its model's line; false if it is not there (it was admitted meanwhile, and its lease
     * is on its way).
     */
    public boolean cancel(String modelName, Waiter waiter) {
        synchronized (this) {
            ArrayDeque<Queued> line = waiting.get(modelName);
            if (line == null) {
                return false;
            }
            for (Iterator<Queued> it = line.iterator(); it.hasNext(); ) {
                if (it.next().waiter() == waiter) {
                    it.remove();
                    waitingCount--;
                    if (line.isEmpty()) {
                        waiting.remove(modelName);
                    }
                    return true;
                }
            }
            return false;
        }
    }

    /** The routing table changed an instance: a new or recovered one may take requests that wait. */
    public void routableChanged() {
        List<Admitted> admitted;
        synchronized (this) {
            if (waitingCount == 0) {
                return;
            }
            admitted = new ArrayList<>();
            for (String model : List.copyOf(waiting.keySet())) {
                serveLine(model, admitted);
            }
        }
        notify(admitted);
    }

    /** Requests waiting for a slot, in every model's line. */
    public synchronized int waiting() {
        return waitingCount;
    }

    public synchronized int outstanding(String instanceId) {
        return outstanding.getOrDefault(instanceId, 0);
    }

    public synchronized InstanceHealth health(String instanceId) {
        return health.getOrDefault(instanceId, InstanceHealth.GOOD);
    }

    /** The slots of this instance, as admission counts them. */
    public synchronized int slots(InstanceChanged instance) {
        return slotsOf(instance);
    }

    /** The instance to send to, with a free slot; null if none (every candidate full, or none at all). */
    private InstanceChanged choose(List<InstanceChanged> routable, Collection<String> excluded,
                                  OptionalLong affinity) {
        if (routable.isEmpty()) {
            return null;
        }
        if (routable.size() == 1) {
            // what InstanceChoice decides for one candidate (even a skipped one: no other is left), without its lists
            InstanceChanged only = routable.get(0);
            if (excluded.contains(only.instanceId()) || !hasRoom(only)) {
                return null;
            }
            turn++;
            return only;
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
        long thisTurn = turn++;
        Optional<String> chosen = InstanceChoice.choose(ids, outstanding, excluded, skipped, affinity,
                config.affinitySlack(), thisTurn);
        if (chosen.isEmpty()) {
            return null;
        }
        InstanceChanged instance = routable.get(ids.indexOf(chosen.get()));
        if (hasRoom(instance)) {
            return instance;
        }
        // the first choice is full: choose again among those with room (only under load)
        List<String> unavailable = new ArrayList<>(excluded);
        for (InstanceChanged candidate : routable) {
            if (!hasRoom(candidate)) {
                unavailable.add(candidate.instanceId());
            }
        }
        chosen = InstanceChoice.choose(ids, outstanding, unavailable, skipped, affinity, config.affinitySlack(),
                thisTurn);
        return chosen.map(id -> routable.get(ids.indexOf(id))).orElse(null);
    }

    private static boolean anyCandidate(List<InstanceChanged> routable, Collection<String> excluded) {
        for (InstanceChanged instance : routable) {
            if (!excluded.contains(instance.instanceId())) {
                return true;
            }
        }
        return false;
    }

    private boolean hasRoom(InstanceChanged instance) {
        return outstanding.getOrDefault(instance.instanceId(), 0) < slotsOf(instance);
    }

    private int slotsOf(InstanceChanged instance) {
        Slots known = slots.get(instance.instanceId());
        if (known != null && known.source() == instance) {
            return known.slots();
        }
        if (slots.size() >= MAX_SLOTS_KEPT) {
            slots.clear(); // instances come and go; a bound, not an eviction policy
        }
        int worked = InstanceSlots.share(InstanceSlots.of(instance.launchPlan(), admission.slots(),
                admission.defaultSlots()), admission.gateways());
        slots.put(instance.instanceId(), new Slots(instance, worked));
        return worked;
    }

    /** How many may wait for this model: {@code queue-per-slot} times the slots of its routable instances. */
    private long queueBound(List<InstanceChanged> routable) {
        long total = 0;
        for (InstanceChanged instance : routable) {
            total += slotsOf(instance);
        }
        return total * Math.max(0, admission.queuePerSlot());
    }

    private Lease lease(String modelName, InstanceChanged instance) {
        outstanding.merge(instance.instanceId(), 1, Integer::sum);
        return new Lease(modelName, instance);
    }

    private record Admitted(Waiter waiter, Lease lease) {
    }

    /** Hands free slots to the first in the model's line, as long as there are both. Under the lock. */
    private void serveLine(String modelName, List<Admitted> admitted) {
        ArrayDeque<Queued> line = waiting.get(modelName);
        if (line == null) {
            return;
        }
        List<InstanceChanged> routable = table.routableInstances(modelName);
        while (!line.isEmpty()) {
            Queued first = line.peekFirst();
            InstanceChanged chosen = choose(routable, first.excluded(), first.affinity());
            if (chosen == null) {
                break;
            }
            line.pollFirst();
            waitingCount--;
            admitted.add(new Admitted(first.waiter(), lease(modelName, chosen)));
        }
        if (line.isEmpty()) {
            waiting.remove(modelName);
        }
    }

    private static void notify(List<Admitted> admitted) {
        for (Admitted each : admitted) {
            each.waiter().admitted(each.lease());
        }
    }

    private void release(Lease lease, boolean failed) {
        List<Admitted> admitted = null;
        synchronized (this) {
            String instanceId = lease.instance.instanceId();
            outstanding.computeIfPresent(instanceId, (id, count) -> count <= 1 ? null : count - 1);
            if (failed) {
                health.put(instanceId, health.getOrDefault(instanceId, InstanceHealth.GOOD)
                        .afterFailure(clock.instant(), healthPolicy));
            } else if (!health.isEmpty()) {
                health.remove(instanceId);
            }
            if (waitingCount > 0) {
                admitted = new ArrayList<>(1);
                serveLine(lease.modelName, admitted);
            }
        }
        if (admitted != null) {
            notify(admitted);
        }
    }

    /** One request's hold on an instance. */
    public final class Lease implements Admission {
        private final String modelName;
        private final InstanceChanged instance;
        private final AtomicBoolean released = new AtomicBoolean();

        private Lease(String modelName, InstanceChanged instance) {
            this.modelName = modelName;
            this.instance = instance;
        }

        public InstanceChanged instance() {
            return instance;
        }

        /** The instance answered (any status below 500). Idempotent with {@link #failed}: the first call counts. */
        public void release() {
            if (released.compareAndSet(false, true)) {
                Balancer.this.release(this, false);
            }
        }

        /** The instance could not be reached, answered 5xx, timed out or broke off its answer. */
        public void failed() {
            if (released.compareAndSet(false, true)) {
                Balancer.this.release(this, true);
            }
        }
    }
}
