package dev.gpufleet.scheduler.instances;

import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.InstanceDeleted;
import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.Topics;
import dev.gpufleet.scheduler.models.Model;
import dev.gpufleet.scheduler.outbox.Outbox;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Applies {@link ReplicaReconciliation} to the database: creates PENDING instances, deletes surplus ones, and
 * writes each change to the outbox in the caller's transaction. Callers hold the model's lock
 * ({@link #lockModel}) so two reconciles of one model never interleave.
 */
@ApplicationScoped
public class InstanceReconciler {
    private static final Logger LOG = Logger.getLogger(InstanceReconciler.class);
    public static final String WAITING_FOR_PLACEMENT = "waiting for placement";
    /** Namespace of this service's advisory locks on models (first key of pg_advisory_xact_lock(int, int)). */
    private static final int MODEL_LOCK_SPACE = 8082;

    private static final String OUT_OF_STEP = """
            SELECT m.id FROM scheduler.model m LEFT JOIN scheduler.instance i ON i.model_id = m.id
            GROUP BY m.id, m.name, m.deleted, m.replicas
            HAVING count(i.id) <> CASE WHEN m.deleted THEN 0 ELSE greatest(m.replicas, 0) END
                OR count(i.id) FILTER (WHERE i.model_name <> m.name) > 0
            ORDER BY m.id""";

    private final Outbox outbox;
    private final Clock clock;

    public InstanceReconciler(Outbox outbox, Clock clock) {
        this.outbox = outbox;
        this.clock = clock;
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

    /** Models whose instances do not match their replicas (or their name); run in a session. */
    public Uni<List<String>> modelsOutOfStep() {
        return Panache.getSession().chain(session -> session.createNativeQuery(OUT_OF_STEP, String.class)
                .getResultList());
    }

    /** Locks and reconciles one model; run in a transaction. Returns whether anything changed. */
    public Uni<Boolean> reconcile(String modelId) {
        return lockModel(modelId)
                .chain(() -> Model.<Model>findById(modelId))
                .chain(model -> model == null ? Uni.createFrom().item(false) : reconcileLocked(model));
    }

    /** Reconciles a model whose lock the caller holds. Returns whether anything changed. */
    public Uni<Boolean> reconcileLocked(Model model) {
        return Instance.<Instance>list("modelId", model.id).chain(instances -> {
            ReplicaReconciliation.Plan plan = ReplicaReconciliation.plan(
                    new ReplicaReconciliation.Desired(model.replicas, model.deleted),
                    instances.stream().map(i -> new ReplicaReconciliation.Current(i.id, i.state, i.createdAt)).toList());
            Map<UUID, Instance> byId = instances.stream().collect(Collectors.toMap(i -> i.id, Function.identity()));
            List<Instance> renamed = instances.stream()
                    .filter(i -> !plan.delete().contains(i.id) && !i.modelName.equals(model.name))
                    .toList();
            if (plan.isEmpty() && renamed.isEmpty()) {
                return Uni.createFrom().item(false);
            }
            LOG.infof("Model %s (%s, revision %d%s): %d instances, creating %d, deleting %d", model.id, model.name,
                    model.revision, model.deleted ? ", deleted" : "", instances.size(), plan.create(),
                    plan.delete().size());
            List<Supplier<Uni<Void>>> steps = new ArrayList<>();
            plan.delete().forEach(id -> steps.add(() -> delete(byId.get(id))));
            renamed.forEach(instance -> steps.add(() -> rename(instance, model.name)));
            for (int n = 0; n < plan.create(); n++) {
                steps.add(() -> create(model));
            }
            return inOrder(steps).replaceWith(true);
        });
    }

    private Uni<Void> create(Model model) {
        Instant now = now();
        Instance instance = new Instance();
        instance.id = UUID.randomUUID();
        instance.name = InstanceNames.of(model.name, ThreadLocalRandom.current());
        instance.modelId = model.id;
        instance.modelName = model.name;
        instance.state = InstanceState.PENDING;
        instance.stateMessage = WAITING_FOR_PLACEMENT;
        instance.revision = 1;
        instance.createdAt = now;
        instance.updatedAt = now;
        return instance.persist().chain(() -> publishChanged(instance));
    }

    private Uni<Void> rename(Instance instance, String modelName) {
        instance.modelName = modelName;
        instance.revision++;
        instance.updatedAt = now();
        return publishChanged(instance);
    }

    private Uni<Void> delete(Instance instance) {
        long revision = instance.revision + 1;
        String id = instance.id.toString();
        InstanceDeleted deleted = new InstanceDeleted(id, instance.modelId, instance.workerId);
        return instance.delete()
                .chain(() -> outbox.add(Topics.INSTANCES, Envelope.of(deleted, revision, clock)))
                .chain(() -> outbox.tombstone(Topics.INSTANCES, id));
    }

    private Uni<Void> publishChanged(Instance instance) {
        return outbox.add(Topics.INSTANCES, Envelope.of(toEvent(instance), instance.revision, clock));
    }

    static InstanceChanged toEvent(Instance instance) {
        return new InstanceChanged(instance.id.toString(), instance.name, instance.modelId, instance.modelName,
                instance.workerId, instance.workerName, List.of(), List.of(), null, instance.state,
                instance.stateMessage, null, 0, null);
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
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
