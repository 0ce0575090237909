package dev.gpufleet.scheduler.workers;

import dev.gpufleet.kit.http.ApiException;
import dev.gpufleet.kit.http.PageRequest;
import dev.gpufleet.kit.http.PageView;
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
                .chain(workers -> query.count().map(total ->
                        PageView.of(workers.stream().map(WorkerView::of).toList(), request, total)));
    }

    @GET
    @Path("/{id}")
    @WithSession
    public Uni<WorkerView> get(@PathParam("id") String id) {
        return Worker.<Worker>findById(id).map(worker -> {
            if (worker == null) {
                throw ApiException.notFound("worker '" + id + "' not found");
            }
            return WorkerView.of(worker);
        });
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

    /** Cordons the worker and replaces each of its instances by a new one placed elsewhere. */
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
     * implies, then lets the instances follow (placements, moves) before answering.
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
                            return WorkerView.of(worker);
                        }))
                .call(view -> listener.workersChanged());
    }
}
