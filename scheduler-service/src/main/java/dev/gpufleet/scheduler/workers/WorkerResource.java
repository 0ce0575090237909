package dev.gpufleet.scheduler.workers;

import dev.gpufleet.scheduler.persistence.Transactions;
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
import dev.gpufleet.events.BackendVersion;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
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

    private final WorkerChanges workerChanges;

    public WorkerResource(Clock clock, WorkerStateListener listener, WorkerChanges workerChanges) {
        this.workerChanges = workerChanges;
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

    /** The body of {@code POST /api/v1/workers/{id}/backend-versions}. */
    public record BackendVersionRequest(String backend, String version, String path) {
    }

    /** The backends whose versions can be registered. */
    public static final List<String> BACKENDS = dev.gpufleet.events.Backend.NAMES;

    /** The engine versions the worker has: its agent's (heartbeat) and those registered on it. */
    @GET
    @Path("/{id}/backend-versions")
    @WithSession
    public Uni<List<WorkerView.BackendVersionView>> backendVersions(@PathParam("id") String id) {
        return Worker.<Worker>findById(id).map(worker -> {
            if (worker == null) {
                throw ApiException.notFound("worker '" + id + "' not found");
            }
            return WorkerView.BackendVersionView.of(worker);
        });
    }

    /**
     * Registers an engine version by the path of its executable on the worker (GPUStack's custom backend
     * versions): models whose {@code backend_version} names it can then be placed there, and the agent runs that
     * path. Registering the same backend and version again replaces the path.
     */
    @POST
    @Path("/{id}/backend-versions")
    @Consumes(MediaType.APPLICATION_JSON)
    public Uni<WorkerView> registerBackendVersion(@PathParam("id") String id, BackendVersionRequest body) {
        BackendVersion version = validVersion(body);
        return change(id, worker -> {
            BackendVersions registered = worker.registeredBackendVersions == null ? BackendVersions.NONE
                    : worker.registeredBackendVersions;
            worker.registeredBackendVersions = registered.with(version);
            LOG.infof("Worker %s (%s): %s %s registered at %s", worker.id, worker.name, version.backend(),
                    version.version(), version.path());
        });
    }

    @DELETE
    @Path("/{id}/backend-versions/{backend}/{version}")
    public Uni<WorkerView> unregisterBackendVersion(@PathParam("id") String id, @PathParam("backend") String backend,
                                                    @PathParam("version") String version) {
        return change(id, worker -> {
            if (worker.registeredBackendVersions == null
                    || worker.registeredBackendVersions.find(backend, version).isEmpty()) {
                throw ApiException.notFound(backend + " " + version + " is not registered on worker '" + id
                        + "' (versions the agent's configuration lists are changed there)");
            }
            worker.registeredBackendVersions = worker.registeredBackendVersions.without(backend, version);
        });
    }

    static BackendVersion validVersion(BackendVersionRequest body) {
        if (body == null) {
            throw ApiException.badRequest("body: required: {\"backend\": one of " + String.join(", ", BACKENDS)
                    + ", \"version\": \"...\", \"path\": \"/absolute/path\"}");
        }
        List<String> errors = new java.util.ArrayList<>();
        if (body.backend() == null || !BACKENDS.contains(body.backend())) {
            errors.add("backend: must be one of " + String.join(", ", BACKENDS) + ", was "
                    + (body.backend() == null ? "null" : "'" + body.backend() + "'"));
        }
        if (body.version() == null || !body.version().matches("[A-Za-z0-9][A-Za-z0-9._+-]{0,63}")) {
            errors.add("version: must be 1 to 64 letters, digits, '.', '_', '+' or '-', was "
                    + (body.version() == null ? "null" : "'" + body.version() + "'"));
        }
        if (body.path() == null || !body.path().matches("/.*|[A-Za-z]:[\\\\/].*")) {
            errors.add("path: must be an absolute path of the executable on the worker, was "
                    + (body.path() == null ? "null" : "'" + body.path() + "'"));
        }
        if (!errors.isEmpty()) {
            throw ApiException.badRequest("Invalid backend version: " + String.join("; ", errors));
        }
        return new BackendVersion(body.backend(), body.version(), body.path(), BackendVersion.REGISTERED);
    }

    /**
     * Applies an admin's change under the worker's row lock (so a heartbeat cannot interleave), sets the state it
     * implies, then lets the instances follow (placements, moves) and answers with the worker as it is then.
     */
    private Uni<WorkerView> change(String id, Consumer<Worker> change) {
        return Transactions.run(() -> Worker.<Worker>findById(id, LockModeType.PESSIMISTIC_WRITE)
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
                        })
                        .call(worker -> workerChanges.storedInTransaction(List.of(worker))))
                .call(worker -> listener.workersChanged())
                .chain(worker -> Panache.withSession(() -> view(id)));
    }
}
