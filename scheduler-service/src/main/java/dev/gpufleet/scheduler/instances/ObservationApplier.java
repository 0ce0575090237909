package dev.gpufleet.scheduler.instances;

import dev.gpufleet.events.InstanceObserved;
import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.SubordinateWorker;
import dev.gpufleet.kit.text.PrintableText;
import dev.gpufleet.scheduler.leadership.WorkNotice;
import dev.gpufleet.scheduler.models.Model;
import dev.gpufleet.scheduler.usage.MeasuredUsage;
import dev.gpufleet.scheduler.usage.MeasuredUsageStore;
import dev.gpufleet.scheduler.workers.Worker;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * Applies what an agent observed about one of its instances, whether it came as an InstanceObserved event or
 * repeated in a heartbeat ({@link HeartbeatObservations}): {@link Observations} decides whether it counts; the
 * instance takes the observed state, a RUNNING one gets its endpoint, and the change is republished as
 * InstanceChanged in the same transaction. Serialised with every other change of the model's instances by the
 * model's lock. On a follower, which runs no outbox relay, the same transaction wakes the leader ({@link WorkNotice})
 * so what it wrote is published at once.
 */
@ApplicationScoped
public class ObservationApplier {
    private static final Logger LOG = Logger.getLogger(ObservationApplier.class);

    private final InstanceReconciler reconciler;
    private final InstanceEvents events;
    private final WorkNotice notice;
    private final Clock clock;
    private final MeasuredUsageStore measuredUsage;

    public ObservationApplier(InstanceReconciler reconciler, InstanceEvents events, WorkNotice notice, Clock clock,
                              MeasuredUsageStore measuredUsage) {
        this.reconciler = reconciler;
        this.events = events;
        this.notice = notice;
        this.clock = clock;
        this.measuredUsage = measuredUsage;
    }

    /**
     * Applies an observation sent with envelope revision {@code revision}, under its model's lock. Run in a
     * transaction. Returns whether an InstanceChanged was written.
     */
    public Uni<Boolean> apply(UUID instanceId, long revision, InstanceObserved observed) {
        return modelIdOf(instanceId).chain(modelId -> {
            if (modelId == null) {
                LOG.debugf("Instance %s: observation ignored, no such instance (deleted?)", instanceId);
                return Uni.createFrom().item(false);
            }
            return apply(instanceId, modelId, revision, observed);
        });
    }

    /** As {@link #apply(UUID, long, InstanceObserved)}, for an instance of a model the caller knows. */
    public Uni<Boolean> apply(UUID instanceId, String modelId, long revision, InstanceObserved observed) {
        return reconciler.lockModel(modelId)
                .chain(() -> Instance.<Instance>findById(instanceId))
                .chain(instance -> instance == null ? Uni.createFrom().item(false)
                        : applyLocked(instance, revision, observed));
    }

    private Uni<Boolean> applyLocked(Instance instance, long revision, InstanceObserved observed) {
        // backends' text (log tails in error messages) may hold what a text column refuses, such as U+0000
        String message = PrintableText.clean(observed.message());
        List<String> subordinates = instance.assignment == null ? List.of()
                : instance.assignment.subordinates().stream().map(SubordinateWorker::workerId).toList();
        Observations.Held held = new Observations.Held(instance.workerId, instance.observedRevision,
                instance.restartCount);
        if (Observations.isSubordinateError(held, subordinates, instance.state, observed)) {
            Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
            LOG.infof("Instance %s (%s) is ERROR: subordinate worker %s reports %s", instance.id, instance.name,
                    observed.workerId(), message);
            instance.state = InstanceState.ERROR;
            instance.stateSince = now;
            instance.endpoint = null;
            instance.stateMessage = "subordinate worker " + observed.workerId() + ": " + message;
            instance.updatedAt = now;
            instance.revision++;
            Uni<Void> written = events.changed(instance);
            if (!notice.isLeader()) {
                written = written.chain(() -> notice.wakeLeader(instance.modelId));
            }
            return written.replaceWith(true);
        }
        String ignored = Observations.whyIgnored(
                new Observations.Held(instance.workerId, instance.observedRevision, instance.restartCount),
                revision, observed);
        if (ignored != null) {
            LOG.debugf("Instance %s: observation %s (revision %d) ignored: %s", instance.id, observed.state(),
                    revision, ignored);
            return Uni.createFrom().item(false);
        }
        Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
        instance.observedRevision = revision;
        instance.observedState = observed.state();
        instance.port = observed.port();
        instance.pid = observed.pid();
        instance.downloadProgress = observed.downloadProgress();
        instance.updatedAt = now;
        if (instance.state == InstanceState.UNREACHABLE) {
            // kept for when the worker is back (InstanceLifecycle.Restore); until then it is not routed to
            return Uni.createFrom().item(false);
        }
        return Worker.<Worker>findById(instance.workerId)
                .call(worker -> recordUsage(instance, worker, observed, now))
                .chain(worker -> {
            String endpoint = observed.state() == InstanceState.RUNNING
                    ? Observations.endpoint(worker == null ? null : worker.address, instance.workerName,
                    observed.port())
                    : null;
            if (instance.state == observed.state() && Objects.equals(instance.endpoint, endpoint)
                    && Objects.equals(instance.stateMessage, message)) {
                return Uni.createFrom().item(false);
            }
            if (instance.state != observed.state()) {
                LOG.infof("Instance %s (%s) is %s%s", instance.id, instance.name, observed.state(),
                        endpoint == null ? "" : " at " + endpoint);
                instance.stateSince = now;
            }
            instance.state = observed.state();
            instance.endpoint = endpoint;
            instance.stateMessage = message;
            instance.revision++;
            Uni<Void> written = events.changed(instance);
            if (!notice.isLeader()) {
                written = written.chain(() -> notice.wakeLeader(instance.modelId));
            } else if (instance.replaces != null && instance.state == InstanceState.RUNNING) {
                // make before break: the instance this one replaces is stopped as soon as this one runs
                written = written.chain(() -> Model.<Model>findById(instance.modelId))
                        .chain(model -> model == null ? Uni.createFrom().voidItem()
                                : reconciler.reconcileLocked(model).replaceWithVoid());
            }
            return written.replaceWith(true);
        });
    }

    /** A RUNNING instance's measurement raises its model's peaks per GPU product (placement reads them). */
    private Uni<Void> recordUsage(Instance instance, Worker worker, InstanceObserved observed, Instant now) {
        if (observed.state() != InstanceState.RUNNING || observed.measuredUsage() == null || worker == null
                || worker.gpus == null || instance.launchPlan == null || instance.launchPlan.backend() == null) {
            return Uni.createFrom().voidItem();
        }
        Map<String, Long> peaks = MeasuredUsage.peakPerGpuProduct(observed.measuredUsage(), worker.gpus.devices());
        return peaks.isEmpty() ? Uni.createFrom().voidItem()
                : measuredUsage.record(instance.modelId, instance.launchPlan.backend(), peaks, now);
    }

    private static Uni<String> modelIdOf(UUID instanceId) {
        // a projection, so the instance itself is loaded only once its model's lock is held
        return Panache.getSession().chain(session -> session
                .createNativeQuery("SELECT model_id FROM scheduler.instance WHERE id = ?1", String.class)
                .setParameter(1, instanceId)
                .getResultList()
                .map(ids -> ids.isEmpty() ? null : ids.get(0)));
    }

}
