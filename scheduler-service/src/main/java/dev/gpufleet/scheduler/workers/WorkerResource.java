package dev.gpufleet.scheduler.workers;

import dev.gpufleet.kit.http.ApiException;
import dev.gpufleet.kit.http.PageRequest;
import dev.gpufleet.kit.http.PageView;
import dev.gpufleet.scheduler.instances.Instance;
import dev.gpufleet.scheduler.instances.InstanceResource;
import dev.gpufleet.scheduler.instances.MoveStatus;
import io.quarkus.hibernate.reactive.panache.PanacheQuery;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.quarkus.panache.common.Sort;
import io.smallrye.mutiny.Uni;
import dev.gpufleet.events.WorkerState;
import io.quarkus.hibernate.reactive.panache.Panache;
import jakarta.persistence.LockModeType;
import jakarta.ws.rs.POST;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

@Path("/api/v1/workers")
@Produces(MediaType.APPLICATION_JSON)
public class WorkerResource {
    private static final Logger LOG = Logger.getLogger(WorkerResource.class);

    private final Clock clock;
    private final WorkerStateListener listener;

    public WorkerResource(Clock clock, WorkerStateListener listener) {
        this.clock = clock;
        this.listener = listener;
    }

    @GET
    @WithSession
    public Uni<PageView<WorkerView>> list(@QueryParam("page") String page, @QueryParam("per_page") String perPage) {
        PageRequest request = PageRequest.parse(page, perPage);
        PanacheQuery<Worker> query = Worker.findAll(Sort.by("name").and("id"));
        return query.page(request.index(), request.perPage()).list()
                .chain(workers -> drains(workers).chain(drains -> query.count().map(total -> PageView.of(
                        workers.stream().map(w -> WorkerView.of(w, drains.get(w.id))).toList(), request, total))));
    }

    @GET
    @Path("/{id}")
    @WithSession
    public Uni<WorkerView> get(@PathParam("id") String id) {
        return view(id);
    }

    /** Run in a session. */
    private Uni<WorkerView> view(String id) {
        return Worker.<Worker>findById(id).chain(worker -> {
            if (worker == null) {
                throw ApiException.notFound("worker '" + id + "' not found");
            }
            return drains(List.of(worker)).map(drains -> WorkerView.of(worker, drains.get(worker.id)));
        });
    }

    /** How far each draining worker's drain is: the instances still on it, and where their moves stand. */
    private static Uni<Map<String, DrainProgress>> drains(List<Worker> workers) {
        List<String> draining = workers.stream().filter(w -> w.draining).map(w -> w.id).toList();
        if (draining.isEmpty()) {
            return Uni.createFrom().item(Map.of());
        }
        return Instance.<Instance>list("workerId in ?1", draining).chain(instances ->
                InstanceResource.replacementsOf(instances).map(replacements -> {
                    Map<String, DrainProgress> drains = new HashMap<>();
                    for (String workerId : draining) {
                        drains.put(workerId, DrainProgress.of(instances.stream()
                                .filter(i -> workerId.equals(i.workerId))
                                .sorted(Comparator.comparing((Instance i) -> i.modelName)
                                        .thenComparing(i -> i.name).thenComparing(i -> i.id))
                                .map(i -> {
                                    Instance replacement = replacements.get(i.id);
                                    return new DrainProgress.Left(i.id, i.name, i.modelName, i.state,
                                            replacement == null ? null
                                                    : MoveStatus.describe(MoveStatus.Replacement.of(replacement)));
                                })
                                .toList()));
                    }
                    return drains;
                }));
    }

    /** MAINTENANCE: no new placements; its instances stay. Heartbeats do not lift it; uncordon does. */
    @POST
    @Path("/{id}/cordon")
    public Uni<WorkerView> cordon(@PathParam("id") String id) {
        return change(id, worker -> {
            if (!worker.cordoned) {
                LOG.infof("Worker %s (%s) is cordoned", worker.id, worker.name);
            }
            worker.cordoned = true;
        });
    }

    /** Back to the state its heartbeats give it; a drain in progress stops (instances already moved stay moved). */
    @POST
    @Path("/{id}/uncordon")
    public Uni<WorkerView> uncordon(@PathParam("id") String id) {
        return change(id, worker -> {
            if (worker.cordoned) {
                LOG.infof("Worker %s (%s) is uncordoned", worker.id, worker.name);
            }
            worker.cordoned = false;
            worker.draining = false;
        });
    }

    /**
     * Cordons the worker and moves each of its instances elsewhere, make before break: a RUNNING instance keeps
     * serving until its replacement runs. The answer's {@code drain} says how far that is.
     */
    @POST
    @Path("/{id}/drain")
    public Uni<WorkerView> drain(@PathParam("id") String id) {
        return change(id, worker -> {
            if (!worker.draining) {
                LOG.infof("Worker %s (%s) is drained: its instances move elsewhere", worker.id, worker.name);
            }
            worker.cordoned = true;
            worker.draining = true;
        });
    }

    /**
     * Applies an admin's change under the worker's row lock (so a heartbeat cannot interleave), sets the state it
     * implies, then lets the instances follow (placements, moves) and answers with the worker as it is then.
     */
    private Uni<WorkerView> change(String id, Consumer<Worker> change) {
        return Panache.withTransaction(() -> Worker.<Worker>findById(id, LockModeType.PESSIMISTIC_WRITE)
                        .map(worker -> {
                            if (worker == null) {
                                throw ApiException.notFound("worker '" + id + "' not found");
                            }
                            Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
                            change.accept(worker);
                            // whether a silent worker is lost is HeartbeatCheck's to say: it knows the pipe's health
                            WorkerState live = worker.state == WorkerState.UNREACHABLE ? WorkerState.UNREACHABLE
                                    : worker.reportedState == WorkerState.READY ? WorkerState.READY
                                    : WorkerState.NOT_READY;
                            WorkerState state = WorkerLiveness.withCordon(live, worker.cordoned);
                            if (state != worker.state) {
                                LOG.infof("Worker %s (%s) is %s (was %s)", worker.id, worker.name, state,
                                        worker.state);
                                worker.state = state;
                            }
                            worker.updatedAt = now;
                            return worker;
                        }))
                .call(worker -> listener.workersChanged())
                .chain(worker -> Panache.withSession(() -> view(id)));
    }
}
