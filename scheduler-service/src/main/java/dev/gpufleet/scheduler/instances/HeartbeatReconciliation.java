package dev.gpufleet.scheduler.instances;

import dev.gpufleet.events.ObservedInstance;
import dev.gpufleet.scheduler.outbox.InstanceEventRelay;
import dev.gpufleet.scheduler.workers.ListedInstances;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Repairs instances from heartbeats ({@link HeartbeatObservations} decides): entries new since the previous heartbeat
 * are looked up in one query, and each newer than what is held is applied through the {@link ObservationApplier},
 * the path an InstanceObserved takes. Models are locked in one order, so two heartbeats never deadlock.
 */
@ApplicationScoped
public class HeartbeatReconciliation implements ListedInstances {
    private static final Logger LOG = Logger.getLogger(HeartbeatReconciliation.class);

    private final ObservationApplier applier;
    private final InstanceEventRelay relay;

    public HeartbeatReconciliation(ObservationApplier applier, InstanceEventRelay relay) {
        this.applier = applier;
        this.relay = relay;
    }

    @Override
    public Uni<Boolean> listed(String workerId, List<ObservedInstance> previous, List<ObservedInstance> current) {
        List<ObservedInstance> fresh = HeartbeatObservations.newSince(previous, current);
        if (fresh.isEmpty()) {
            return Uni.createFrom().item(false);
        }
        Map<UUID, ObservedInstance> byId = new HashMap<>();
        for (ObservedInstance entry : fresh) {
            UUID id = InstanceStatusConsumer.uuidOrNull(entry.instanceId());
            if (id == null) {
                LOG.debugf("Worker %s lists instance '%s', which is not a UUID; ignored", workerId, entry.instanceId());
            } else {
                byId.put(id, entry);
            }
        }
        if (byId.isEmpty()) {
            return Uni.createFrom().item(false);
        }
        return held(List.copyOf(byId.keySet())).chain(held -> {
            List<HeartbeatObservations.Apply> toApply = new ArrayList<>();
            for (Map.Entry<UUID, ObservedInstance> entry : byId.entrySet()) {
                HeartbeatObservations.Decision decision = HeartbeatObservations.decide(workerId, entry.getValue(),
                        held.get(entry.getKey()));
                if (decision instanceof HeartbeatObservations.Apply apply) {
                    toApply.add(apply);
                } else if (decision instanceof HeartbeatObservations.Skip skip) {
                    LOG.debugf("Instance %s: observation %s (revision %d) listed by worker %s not applied: %s",
                            entry.getKey(), entry.getValue().state(), entry.getValue().revision(), workerId,
                            skip.why());
                }
            }
            toApply.sort(Comparator.comparing(HeartbeatObservations.Apply::modelId)
                    .thenComparing(HeartbeatObservations.Apply::instanceId));
            Uni<Boolean> written = Uni.createFrom().item(false);
            for (HeartbeatObservations.Apply apply : toApply) {
                written = written.chain(before -> {
                    LOG.infof("Instance %s: observation %s (revision %d) taken from the heartbeat of worker %s, its"
                                    + " event not applied (yet)", apply.instanceId(), apply.observation().state(),
                            apply.revision(), workerId);
                    return applier.apply(apply.instanceId(), apply.modelId(), apply.revision(), apply.observation())
                            .map(now -> before || now);
                });
            }
            return written;
        });
    }

    @Override
    public void published() {
        relay.wakeUp();
    }

    private static Uni<Map<UUID, HeartbeatObservations.Held>> held(List<UUID> ids) {
        return Panache.getSession().chain(session -> session
                .createQuery("select i.id, i.modelId, i.workerId, i.observedRevision, i.restartCount"
                        + " from Instance i where i.id in :ids", Object[].class)
                .setParameter("ids", ids)
                .getResultList()
                .map(rows -> {
                    Map<UUID, HeartbeatObservations.Held> held = new HashMap<>();
                    for (Object[] row : rows) {
                        UUID id = (UUID) row[0];
                        held.put(id, new HeartbeatObservations.Held(id, (String) row[1], (String) row[2],
                                row[3] == null ? null : ((Number) row[3]).longValue(), ((Number) row[4]).intValue()));
                    }
                    return held;
                }));
    }
}
