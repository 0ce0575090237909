package dev.gpufleet.scheduler.instances;

import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.LaunchPlan;
import dev.gpufleet.events.ModelSpec;
import dev.gpufleet.events.ObservedInstance;
import dev.gpufleet.scheduler.SchedulerConfig;
import dev.gpufleet.scheduler.leadership.LeaderFence;
import dev.gpufleet.scheduler.models.Model;
import dev.gpufleet.scheduler.usage.MeasuredUsageStore;
import dev.gpufleet.scheduler.metrics.PlacementMeters;
import dev.gpufleet.scheduler.placement.PlacementEngine;
import dev.gpufleet.scheduler.placement.PlacementDecision;
import dev.gpufleet.scheduler.placement.PlacementRequest;
import dev.gpufleet.scheduler.workers.Worker;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Brings one model's instances to where they should be, in the caller's transaction: one instance per replica
 * ({@link ReplicaReconciliation}), PENDING ones placed ({@link PlacementEngine}), and the moves that time and
 * worker states cause ({@link InstanceLifecycle}: lost workers, returning workers, restarts after errors).
 * Every published change goes to the outbox in the same transaction. Callers hold the model's lock
 * ({@link #lockModel}) so two changes of one model's instances never interleave.
 */
@ApplicationScoped
public class InstanceReconciler {
    private static final Logger LOG = Logger.getLogger(InstanceReconciler.class);
    public static final String WAITING_FOR_PLACEMENT = "waiting for placement";
    /** Namespace of this service's advisory locks on models (first key of pg_advisory_xact_lock(int, int)). */
    private static final int MODEL_LOCK_SPACE = 8082;

    /**
     * Models whose instances do not match their replicas (a replacement and the instance it takes over from count
     * once) or name, or have a move due or under way (see the class comment).
     */
    private static final String NEEDING_WORK = """
            SELECT m.id FROM scheduler.model m LEFT JOIN scheduler.instance i ON i.model_id = m.id
            GROUP BY m.id, m.name, m.deleted, m.replicas
            HAVING count(i.id) FILTER (WHERE i.replaces IS NULL)
                    <> CASE WHEN m.deleted THEN 0 ELSE greatest(m.replicas, 0) END
                OR count(i.id) FILTER (WHERE i.model_name <> m.name) > 0
            UNION
            SELECT i.model_id FROM scheduler.instance i LEFT JOIN scheduler.worker w ON w.id = i.worker_id
            WHERE i.state IN ('PENDING', 'ERROR')
                OR (i.state = 'RUNNING' AND i.recent_restarts > 0)
                OR (w.state = 'UNREACHABLE' AND i.state <> 'UNREACHABLE')
                OR (i.state = 'UNREACHABLE' AND w.state <> 'UNREACHABLE')
                OR (i.state = 'UNREACHABLE' AND i.state_since <= ?1)
                OR (i.state = 'SCHEDULED' AND i.observed_state IS NULL AND i.state_since <= ?2)
                OR w.draining
                OR i.replaces IS NOT NULL
            ORDER BY 1""";

    private final InstanceEvents events;
    private final MeasuredUsageStore measuredUsage;
    private final Clock clock;
    private final Duration backoffBase;
    private final Duration unreachableGrace;
    private final Duration scheduledTimeout;
    private final LeaderFence fence;
    private final CapacityView capacity;
    @Inject
    PlacementMeters placementMeters;

    public InstanceReconciler(InstanceEvents events, Clock clock, MeasuredUsageStore measuredUsage,
                              SchedulerConfig config, LeaderFence fence,
                              CapacityView capacity) {
        this.fence = fence;
        this.capacity = capacity;
        this.events = events;
        this.clock = clock;
        this.measuredUsage = measuredUsage;
        this.backoffBase = config.restartBackoffBase();
        this.unreachableGrace = config.unreachableGrace();
        this.scheduledTimeout = config.scheduledTimeout();
    }

    /**
     * Serialises everything that changes one model's instances until the transaction ends. An advisory lock
     * rather than a row lock, because the model row may not exist yet.
     */
    public Uni<Void> lockModel(String modelId) {
        return Panache.getSession().chain(session -> session
                .createNativeQuery("SELECT count(*) FROM (SELECT pg_advisory_xact_lock(" + MODEL_LOCK_SPACE
                        + ", hashtext(?1))) locked", Long.class)
                .setParameter(1, modelId)
                .getSingleResult()).replaceWithVoid();
    }

    /** Models with something to do; run in a session. */
    public Uni<List<String>> modelsNeedingWork() {
        Instant now = now();
        return Panache.getSession().chain(session -> session.createNativeQuery(NEEDING_WORK, String.class)
                .setParameter(1, now.minus(unreachableGrace).atOffset(ZoneOffset.UTC))
                .setParameter(2, now.minus(scheduledTimeout).atOffset(ZoneOffset.UTC))
                .getResultList());
    }

    /** Locks and reconciles one model; run in a transaction. Returns whether anything was published. */
    public Uni<Boolean> reconcile(String modelId) {
        return lockModel(modelId)
                .chain(() -> Model.<Model>findById(modelId))
                .chain(model -> model == null ? Uni.createFrom().item(false) : reconcileLocked(model));
    }

    /**
     * Reconciles a model whose lock the caller holds. Leader-only work: fails with {@link LeaderFence.Superseded}
     * unless this scheduler's leader epoch is current. Returns whether anything was published.
     */
    public Uni<Boolean> reconcileLocked(Model model) {
        return fence.check().chain(() -> Instance.<Instance>list("modelId", model.id)).chain(instances -> {
            Changes changes = new Changes();
            // once committed, the capacity view holds what these instances hold now (placed, moved, unplaced, gone)
            capacity.instancesChangedInTransaction(changes.changed, changes.deleted);
            ReplicaReconciliation.Plan plan = ReplicaReconciliation.plan(
                    new ReplicaReconciliation.Desired(model.replicas, model.deleted),
                    instances.stream().map(InstanceReconciler::current).toList());
            Map<UUID, Instance> byId = instances.stream().collect(Collectors.toMap(i -> i.id, Function.identity()));
            List<Instance> kept = instances.stream().filter(i -> !plan.delete().contains(i.id))
                    .collect(Collectors.toCollection(ArrayList::new));
            if (!plan.isEmpty()) {
                LOG.infof("Model %s (%s, revision %d%s): %d instances, creating %d, deleting %d", model.id,
                        model.name, model.revision, model.deleted ? ", deleted" : "", instances.size(),
                        plan.create(), plan.delete().size());
            }
            List<Supplier<Uni<Void>>> steps = new ArrayList<>();
            plan.delete().forEach(id -> steps.add(() -> delete(byId.get(id), changes)));
            for (Instance instance : kept) {
                if (!instance.modelName.equals(model.name)) {
                    instance.modelName = model.name;
                    changes.add(instance);
                }
            }
            for (int n = 0; n < plan.create(); n++) {
                Instance created = newInstance(model);
                kept.add(created);
                changes.created(created);
                steps.add(() -> created.persist().replaceWithVoid());
            }
            if (!model.deleted) {
                steps.add(() -> advance(model, kept, changes));
                steps.add(() -> place(model, kept, changes));
            }
            steps.add(() -> publish(changes));
            return inOrder(steps).map(ignored -> changes.published);
        });
    }

    private static ReplicaReconciliation.Current current(Instance instance) {
        Assignment a = instance.assignment;
        ReplicaReconciliation.Offload offload = a == null ? null
                : ReplicaReconciliation.Offload.of(a.shape() == null ? null : a.shape().kind(),
                        a.claim().vramBytesByGpu().values().stream().mapToLong(Long::longValue).sum());
        return new ReplicaReconciliation.Current(instance.id, instance.state, instance.createdAt, offload,
                a == null ? null : a.score(), instance.replaces);
    }

    private Instance newInstance(Model model) {
        Instant now = now();
        Instance instance = new Instance();
        instance.id = UUID.randomUUID();
        instance.name = InstanceNames.of(model.name, ThreadLocalRandom.current());
        instance.modelId = model.id;
        instance.modelName = model.name;
        instance.state = InstanceState.PENDING;
        instance.stateMessage = WAITING_FOR_PLACEMENT;
        instance.stateSince = now;
        instance.revision = 1;
        instance.createdAt = now;
        instance.updatedAt = now;
        return instance;
    }

    private Uni<Void> delete(Instance instance, Changes changes) {
        changes.published = true;
        changes.changed.remove(instance);
        changes.deleted.add(instance.id);
        return instance.delete().chain(() -> events.deleted(instance));
    }

    /**
     * Moves placed instances on: their worker was lost or came back, an error's backoff ran out, a drain moves them
     * (make before break: {@link InstanceLifecycle}), and so on.
     */
    private Uni<Void> advance(Model model, List<Instance> instances, Changes changes) {
        Instant now = now();
        Map<UUID, Instance> replacementOf = replacements(instances, now);
        List<String> workerIds = instances.stream().map(i -> i.workerId).filter(id -> id != null).distinct().toList();
        if (workerIds.isEmpty() && replacementOf.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        InstanceLifecycle.Policy policy = new InstanceLifecycle.Policy(
                model.spec == null || model.spec.restartOnError(), backoffBase, unreachableGrace, scheduledTimeout);
        Uni<List<Worker>> loaded = workerIds.isEmpty() ? Uni.createFrom().item(List.of())
                : Worker.<Worker>list("id in ?1", workerIds);
        return loaded.chain(workers -> {
            Map<String, Worker> byId = workers.stream().collect(Collectors.toMap(w -> w.id, Function.identity()));
            List<Decided> decided = new ArrayList<>();
            for (Instance instance : instances) {
                Worker worker = instance.workerId == null ? null : byId.get(instance.workerId);
                Instance replacement = replacementOf.get(instance.id);
                decided.add(new Decided(instance, InstanceLifecycle.next(
                        new InstanceLifecycle.InstanceFacts(instance.state, instance.stateSince,
                                instance.recentRestarts, instance.observedState),
                        worker == null ? null : new InstanceLifecycle.WorkerFacts(worker.state,
                                listedState(worker, instance.id), worker.draining),
                        replacement == null ? null : new InstanceLifecycle.ReplacementFacts(replacement.state),
                        policy, now)));
            }
            // a replacement whose move is called off goes; nothing else is done to it
            Set<Instance> cancelled = Collections.newSetFromMap(new IdentityHashMap<>());
            decided.forEach(d -> {
                if (d.step() instanceof InstanceLifecycle.CancelReplacement) {
                    cancelled.add(replacementOf.get(d.instance().id));
                }
            });
            // moves of instances that have a replacement first: a replacement replaced in the same pass (its own
            // worker drained or lost) then passes on what it is to take over from
            List<Supplier<Uni<Void>>> moves = new ArrayList<>();
            List<Supplier<Uni<Void>>> replacements = new ArrayList<>();
            for (Decided d : decided) {
                Instance instance = d.instance();
                InstanceLifecycle.Step step = d.step();
                if (cancelled.contains(instance)) {
                    continue;
                }
                Worker worker = instance.workerId == null ? null : byId.get(instance.workerId);
                Instance replacement = replacementOf.get(instance.id);
                if (step instanceof InstanceLifecycle.Replace replace) {
                    replacements.add(() -> replace(model, instance, worker, replace.why(), instances, changes));
                } else if (step instanceof InstanceLifecycle.StartReplacement start) {
                    moves.add(() -> startReplacement(model, instance, worker, start.why(), instances, changes));
                } else if (step instanceof InstanceLifecycle.HandOver handOver) {
                    moves.add(() -> handOver(instance, replacement, handOver.when(), instances, changes, now));
                } else if (step instanceof InstanceLifecycle.CancelReplacement) {
                    moves.add(() -> cancelReplacement(instance, replacement, worker, instances, changes));
                } else {
                    apply(step, instance, worker, now, changes);
                }
            }
            moves.addAll(replacements);
            return inOrder(moves);
        });
    }

    private record Decided(Instance instance, InstanceLifecycle.Step step) {
    }

    /**
     * Each replacement by the instance it is to take over from. A replacement whose instance is gone (stopped
     * meanwhile, or deleted with a scale-down) is an ordinary instance from now on.
     */
    private static Map<UUID, Instance> replacements(List<Instance> instances, Instant now) {
        Set<UUID> present = instances.stream().map(i -> i.id).collect(Collectors.toSet());
        Map<UUID, Instance> replacementOf = new HashMap<>();
        for (Instance instance : instances) {
            if (instance.replaces == null) {
                continue;
            }
            if (!present.contains(instance.replaces)) {
                instance.replaces = null;
                instance.updatedAt = now;
            } else {
                replacementOf.put(instance.replaces, instance);
            }
        }
        return replacementOf;
    }

    /**
     * Make before break: a new PENDING instance, beyond the replicas and marked as replacing this one, which
     * {@link #place} then puts elsewhere; this one keeps serving until it runs.
     */
    private Uni<Void> startReplacement(Model model, Instance instance, Worker worker, InstanceLifecycle.Why why,
                                       List<Instance> instances, Changes changes) {
        String reason = why(why, worker);
        Instance replacement = newInstance(model);
        replacement.replaces = instance.id;
        replacement.stateMessage = "replaces " + instance.name + ", which keeps serving until this one runs: "
                + reason;
        LOG.infof("Instance %s (%s): %s; %s (%s) is placed to take over before it stops", instance.id,
                instance.name, reason, replacement.id, replacement.name);
        instances.add(replacement);
        changes.created(replacement);
        return replacement.persist().replaceWithVoid();
    }

    /** Deletes the instance (its worker stops it); its replacement takes its replica. */
    private Uni<Void> handOver(Instance instance, Instance replacement, InstanceLifecycle.HandOverWhen when,
                               List<Instance> instances, Changes changes, Instant now) {
        LOG.infof("Instance %s (%s) hands its replica over to %s (%s, %s on %s): %s", instance.id, instance.name,
                replacement.id, replacement.name, replacement.state, replacement.workerName,
                when == InstanceLifecycle.HandOverWhen.REPLACEMENT_RUNNING ? "it runs"
                        : "this one does not serve (" + instance.state + ")");
        replacement.replaces = null;
        replacement.updatedAt = now;
        instances.remove(instance);
        return delete(instance, changes);
    }

    /** The move is called off while the instance still serves: its replacement goes, it stays. */
    private Uni<Void> cancelReplacement(Instance instance, Instance replacement, Worker worker,
                                        List<Instance> instances, Changes changes) {
        LOG.infof("Instance %s (%s) stays on %s, which is no longer drained; its replacement %s (%s) is deleted",
                instance.id, instance.name, worker.name, replacement.id, replacement.name);
        instances.remove(replacement);
        return delete(replacement, changes);
    }

    /**
     * Deletes the instance (its worker stops it as one it no longer owns, now or when it is back) and gives its
     * replica to a new PENDING instance, which {@link #place} then puts elsewhere.
     */
    private Uni<Void> replace(Model model, Instance instance, Worker worker, InstanceLifecycle.Why why,
                              List<Instance> instances, Changes changes) {
        String reason = why(why, worker);
        Instance replacement = newInstance(model);
        replacement.stateMessage = "replaces " + instance.name + ": " + reason;
        // read when this runs: an instance that was itself to take over from another passes that on
        replacement.replaces = instance.replaces;
        LOG.infof("Instance %s (%s): %s; replaced by %s (%s)", instance.id, instance.name, reason, replacement.id,
                replacement.name);
        instances.remove(instance);
        instances.add(replacement);
        changes.created(replacement);
        return delete(instance, changes).chain(() -> replacement.persist()).replaceWithVoid();
    }

    private String why(InstanceLifecycle.Why why, Worker worker) {
        return switch (why) {
            case WORKER_LOST -> "worker " + worker.name + " has been unreachable for more than "
                    + unreachableGrace.toSeconds() + "s";
            case DRAINED -> "worker " + worker.name + " is being drained";
            case NEVER_PICKED_UP -> "worker " + worker.name + " did not pick it up within "
                    + scheduledTimeout.toSeconds() + "s";
        };
    }

    private void apply(InstanceLifecycle.Step step, Instance instance, Worker worker, Instant now, Changes changes) {
        if (step instanceof InstanceLifecycle.MarkUnreachable) {
            LOG.infof("Instance %s (%s): worker %s is unreachable", instance.id, instance.name, worker.name);
            moveTo(instance, InstanceState.UNREACHABLE, "worker " + worker.name + " is unreachable", null, now);
            changes.add(instance);
        } else if (step instanceof InstanceLifecycle.Restore restore) {
            InstanceState state = restore.state();
            String endpoint = state == InstanceState.RUNNING && instance.port != null
                    ? Observations.endpoint(worker.address, worker.name, instance.port) : null;
            LOG.infof("Instance %s (%s): worker %s is back, instance %s", instance.id, instance.name, worker.name,
                    state);
            moveTo(instance, state, "worker " + worker.name + " is back", endpoint, now);
            changes.add(instance);
        } else if (step instanceof InstanceLifecycle.Restart) {
            instance.restartCount++;
            instance.recentRestarts++;
            LOG.infof("Instance %s (%s): restart %d on %s after an error (%d since it last ran steadily)",
                    instance.id, instance.name, instance.restartCount, worker.name, instance.recentRestarts);
            moveTo(instance, InstanceState.SCHEDULED, "restart " + instance.restartCount + " after an error", null,
                    now);
            instance.port = null;
            instance.pid = null;
            instance.downloadProgress = null;
            instance.observedState = null;
            changes.add(instance);
        } else if (step instanceof InstanceLifecycle.PlaceAgain again) {
            String reason = why(again.why(), worker) + "; placing it again";
            LOG.infof("Instance %s (%s): %s", instance.id, instance.name, reason);
            moveTo(instance, InstanceState.PENDING, reason, null, now);
            instance.workerId = null;
            instance.workerName = null;
            instance.assignment = null;
            instance.launchPlan = null;
            instance.port = null;
            instance.pid = null;
            instance.downloadProgress = null;
            instance.observedState = null;
            changes.add(instance);
        } else if (step instanceof InstanceLifecycle.ResetBackoff) {
            // not part of the published state: saved with the transaction, nothing to announce
            instance.recentRestarts = 0;
            instance.updatedAt = now;
        }
    }

    /** Places the model's PENDING instances, oldest first; those that fit nowhere keep the reason. */
    private Uni<Void> place(Model model, List<Instance> instances, Changes changes) {
        List<Instance> pending = instances.stream().filter(i -> i.state == InstanceState.PENDING)
                .sorted(Comparator.comparing((Instance i) -> i.createdAt).thenComparing(i -> i.id))
                .toList();
        if (pending.isEmpty() || model.spec == null) {
            return Uni.createFrom().voidItem();
        }
        PlacementRequest plain = PlacementRequest.of(model.id, model.spec, model.estimate);
        return measuredUsage.peaks(model.id, model.spec.backend()).chain(measured -> place(model, pending,
                plain.withMeasuredVram(measured), changes));
    }

    /**
     * Decides from the leader's capacity view ({@link CapacityView}), which holds each placement's claim at once,
     * so placements of different models run side by side without counting the same free memory twice; only the
     * placed instances are written.
     */
    private Uni<Void> place(Model model, List<Instance> pending, PlacementRequest request, Changes changes) {
        return capacity.ready().invoke(epoch -> placeAll(model, pending, request, changes,
                capacity.place(epoch, pending.stream().map(i -> i.id).toList(), model.id, request)))
                .replaceWithVoid();
    }

    private void placeAll(Model model, List<Instance> pending, PlacementRequest request, Changes changes,
                          List<CapacityLedger.Decided> decisions) {
        Instant now = now();
        for (int n = 0; n < pending.size(); n++) {
            Instance instance = pending.get(n);
            PlacementDecision decision = decisions.get(n).decision();
            placementMeters.decided(decision instanceof PlacementDecision.Placed, decisions.get(n).decisionNanos());
            List<Worker> workers = List.copyOf(decisions.get(n).workers().values());
            if (decision instanceof PlacementDecision.Placed placed) {
                if (instance.createdAt != null) {
                    placementMeters.placedAfter(Duration.between(instance.createdAt, now));
                }
                LOG.infof("Instance %s (%s): %s", instance.id, instance.name, placed.rationale());
                instance.workerId = placed.workerId();
                instance.workerName = placed.workerName();
                instance.assignment = new Assignment(placed.gpuIndexes(), placed.claim(),
                        placed.shape(), PlacementAddresses.subordinates(placed.subordinates(), workers),
                        placed.score(), placed.rationale(), PlacementAddresses.addressOf(placed.workerId(), workers),
                        PlacementAddresses.deviceIps(placed.workerId(), placed.gpuIndexes(), workers));
                instance.launchPlan = launchPlan(model.spec, placed.workerId(), workers);
                moveTo(instance, InstanceState.SCHEDULED, placed.rationale(), null, now);
                changes.add(instance);
            } else if (decision instanceof PlacementDecision.NoFit noFit
                    && !noFit.reason().equals(instance.stateMessage)) {
                LOG.infof("Instance %s (%s) stays PENDING: %s", instance.id, instance.name, noFit.reason());
                instance.stateMessage = noFit.reason();
                instance.updatedAt = now;
                changes.add(instance);
            }
        }
    }

    /**
     * The plan the agent starts from: the spec's, and when the spec names a {@code backend_version} that an operator
     * registered on the placed worker, that version's path (a version the agent reports itself it resolves itself).
     */
    static LaunchPlan launchPlan(ModelSpec spec, String workerId, List<Worker> workers) {
        LaunchPlan plan = LaunchPlan.of(spec);
        if (spec.backendVersion() == null) {
            return plan;
        }
        return workers.stream().filter(w -> w.id.equals(workerId) && w.registeredBackendVersions != null)
                .findFirst()
                .flatMap(w -> w.registeredBackendVersions.find(spec.backend(), spec.backendVersion()))
                .map(v -> plan.withBackendPath(v.path())).orElse(plan);
    }

    private static void moveTo(Instance instance, InstanceState state, String message, String endpoint,
                               Instant now) {
        if (instance.state != state) {
            instance.stateSince = now;
        }
        instance.state = state;
        instance.stateMessage = message;
        instance.endpoint = endpoint;
        instance.updatedAt = now;
    }

    private static InstanceState listedState(Worker worker, UUID instanceId) {
        if (worker.instances == null) {
            return null;
        }
        String id = instanceId.toString();
        return worker.instances.instances().stream().filter(i -> id.equals(i.instanceId()))
                .map(ObservedInstance::state).findFirst().orElse(null);
    }

    /** One InstanceChanged per changed instance: new ones at revision 1, the others one revision on. */
    private Uni<Void> publish(Changes changes) {
        List<Supplier<Uni<Void>>> steps = new ArrayList<>();
        for (Instance instance : changes.changed) {
            if (!changes.created.contains(instance)) {
                instance.revision++;
            }
            steps.add(() -> events.changed(instance));
            changes.published = true;
        }
        return inOrder(steps);
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }

    /** The instances one reconcile changed, each published once whatever the number of changes. */
    private static final class Changes {
        // entities compare by identity; insertion order keeps the outbox order stable
        final Set<Instance> changed = new LinkedHashSet<>();
        final Set<Instance> created = new LinkedHashSet<>();
        final List<UUID> deleted = new ArrayList<>();
        boolean published;

        void add(Instance instance) {
            changed.add(instance);
        }

        void created(Instance instance) {
            created.add(instance);
            changed.add(instance);
        }
    }

    /** One Hibernate Reactive session must never see two operations at once. */
    private static Uni<Void> inOrder(List<Supplier<Uni<Void>>> steps) {
        Uni<Void> chain = Uni.createFrom().voidItem();
        for (Supplier<Uni<Void>> step : steps) {
            chain = chain.chain(() -> step.get());
        }
        return chain;
    }
}
