package dev.gpufleet.scheduler.modelfiles;

import dev.gpufleet.events.ModelFileSet;
import dev.gpufleet.events.ModelSource;
import dev.gpufleet.kit.http.ApiException;
import dev.gpufleet.kit.http.PageRequest;
import dev.gpufleet.kit.http.PageView;
import dev.gpufleet.scheduler.instances.Instance;
import dev.gpufleet.scheduler.models.Model;
import dev.gpufleet.scheduler.workers.Worker;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.quarkus.panache.common.Sort;
import io.smallrye.mutiny.Uni;
import jakarta.persistence.LockModeType;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * The model file sets on the workers, as each one's latest heartbeat listed them, and deleting one: refused while an
 * instance uses it, otherwise done by the worker's agent (which checks again).
 */
@Path("/api/v1/model-files")
@Produces(MediaType.APPLICATION_JSON)
public class ModelFileResource {
    private static final Logger LOG = Logger.getLogger(ModelFileResource.class);

    private final AgentModelFiles agents;

    public ModelFileResource(AgentModelFiles agents) {
        this.agents = agents;
    }

    /**
     * @param workerId a worker's id: only its sets
     * @param model    a model's id or name: only the sets its instances use or that hold its source
     */
    @GET
    @WithSession
    public Uni<PageView<ModelFileView>> list(@QueryParam("worker_id") String workerId,
                                             @QueryParam("model") String model, @QueryParam("page") String page,
                                             @QueryParam("per_page") String perPage) {
        PageRequest request = PageRequest.parse(page, perPage);
        Uni<List<Worker>> workers = workerId == null || workerId.isBlank()
                ? Worker.<Worker>findAll(Sort.by("name").and("id")).list()
                : Worker.<Worker>find("id", workerId).list();
        return modelFilter(model).chain(filter -> workers.map(found -> {
            List<ModelFileView> views = new ArrayList<>();
            for (Worker worker : found) {
                if (worker.modelFiles == null) {
                    continue;
                }
                worker.modelFiles.sets().stream()
                        .filter(filter)
                        .sorted(Comparator.comparing(ModelFileSet::path, Comparator.nullsLast(String::compareTo)))
                        .forEach(set -> views.add(ModelFileView.of(worker.id, worker.name, worker.lastHeartbeatAt,
                                set)));
            }
            return PageView.slice(views, request);
        }));
    }

    @GET
    @Path("/{id}")
    @WithSession
    public Uni<ModelFileView> get(@PathParam("id") String id) {
        return find(id).map(found -> ModelFileView.of(found.worker().id, found.worker().name,
                found.worker().lastHeartbeatAt, found.set()));
    }

    /**
     * 204 once the worker's agent deleted the files; 409 while an instance uses them (or the agent refuses: a local
     * path, a download in flight); 404 for an unknown id; 503 when the agent cannot be reached.
     */
    @DELETE
    @Path("/{id}")
    public Uni<Response> delete(@PathParam("id") String id) {
        return Panache.withSession(() -> find(id)).chain(found -> {
            ModelFileSet set = found.set();
            Worker worker = found.worker();
            if (set.inUse()) {
                throw ApiException.conflict("model files " + id + " (" + set.path() + ") on worker '" + worker.name
                        + "' are used by instance(s) " + String.join(", ", set.instances())
                        + "; delete or move those first");
            }
            if (!set.downloaded()) {
                throw ApiException.conflict("model files " + id + " are the local path " + set.path() + " on worker '"
                        + worker.name + "', which gpufleet did not download and never deletes");
            }
            return agents.delete(worker.address, worker.agentPort, id).chain(answer -> switch (answer.status()) {
                case 204, 200 -> forget(worker.id, id).map(ignored -> {
                    LOG.infof("Model files %s (%s) deleted on worker %s (%s)", id, set.path(), worker.id,
                            worker.name);
                    return Response.noContent().build();
                });
                case 404 -> forget(worker.id, id).map(ignored -> {
                    throw ApiException.notFound("model files " + id + " are no longer on worker '" + worker.name
                            + "': " + answer.message());
                });
                case 409 -> throw ApiException.conflict(answer.message());
                default -> throw new ApiException(Response.Status.SERVICE_UNAVAILABLE, "worker '" + worker.name
                        + "' did not delete model files " + id + ": " + (answer.status() == AgentModelFiles.Answer
                        .UNREACHABLE ? "" : answer.status() + " ") + answer.message());
            });
        });
    }

    private record Found(Worker worker, ModelFileSet set) {
    }

    /** Run in a session. */
    private static Uni<Found> find(String id) {
        String workerId = WorkerModelFiles.workerOf(id).orElseThrow(() -> ApiException.notFound("model files '" + id
                + "' not found: ids are <worker id>:<16 hex digits>, as GET /api/v1/model-files lists them"));
        return Worker.<Worker>findById(workerId).map(worker -> {
            ModelFileSet set = worker == null || worker.modelFiles == null ? null
                    : worker.modelFiles.find(id).orElse(null);
            if (set == null) {
                throw ApiException.notFound("model files '" + id + "' not found on worker '" + workerId + "'");
            }
            return new Found(worker, set);
        });
    }

    /** Drops the set from the stored heartbeat at once, so that lists do not show it until the next heartbeat. */
    private static Uni<Void> forget(String workerId, String id) {
        return Panache.withTransaction(() -> Worker.<Worker>findById(workerId, LockModeType.PESSIMISTIC_WRITE)
                .invoke(worker -> {
                    if (worker != null && worker.modelFiles != null) {
                        worker.modelFiles = worker.modelFiles.without(id);
                    }
                })).replaceWithVoid();
    }

    /** Run in a session. */
    private static Uni<Predicate<ModelFileSet>> modelFilter(String model) {
        if (model == null || model.isBlank()) {
            return Uni.createFrom().item(set -> true);
        }
        return Model.<Model>find("(id = ?1 or name = ?1) and deleted = false", model).firstResult()
                .chain(found -> {
                    if (found == null) {
                        throw ApiException.badRequest("model: no model with id or name '" + model + "'");
                    }
                    return Instance.<Instance>find("modelId", found.id).list().map(instances -> {
                        Set<String> ids = instances.stream().map(i -> i.id.toString()).collect(Collectors.toSet());
                        ModelSource source = found.spec == null ? null : found.spec.source();
                        return set -> set.instances().stream().anyMatch(ids::contains) || holds(set, source);
                    });
                });
    }

    /** Whether a set holds a model source's files: the same hub repository, or the same local path. */
    static boolean holds(ModelFileSet set, ModelSource source) {
        if (source == null || !Objects.equals(set.source(), source.type())) {
            return false;
        }
        return switch (source.type()) {
            case ModelSource.HUGGINGFACE -> Objects.equals(set.repo(), source.repoId());
            case ModelSource.MODELSCOPE -> Objects.equals(set.repo(), source.modelId());
            case ModelSource.LOCAL_PATH -> Objects.equals(set.path(), source.path());
            default -> false;
        };
    }
}
