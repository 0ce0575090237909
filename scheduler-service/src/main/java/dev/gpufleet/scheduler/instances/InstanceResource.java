package dev.gpufleet.scheduler.instances;

import dev.gpufleet.kit.http.ApiException;
import dev.gpufleet.kit.http.PageRequest;
import dev.gpufleet.kit.http.PageView;
import io.quarkus.hibernate.reactive.panache.PanacheQuery;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.quarkus.panache.common.Sort;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import dev.gpufleet.events.InstanceState;
import dev.gpufleet.scheduler.models.Model;
import dev.gpufleet.scheduler.placement.PlacementDecision;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;

@Path("/api/v1/instances")
@Produces(MediaType.APPLICATION_JSON)
public class InstanceResource {
    private static final Sort ORDER = Sort.by("modelName").and("createdAt").and("id");

    private final PlacementPreview preview;

    public InstanceResource(PlacementPreview preview) {
        this.preview = preview;
    }

    @GET
    @WithSession
    public Uni<PageView<InstanceView>> list(@QueryParam("model_id") String modelId, @QueryParam("page") String page,
                                            @QueryParam("per_page") String perPage) {
        PageRequest request = PageRequest.parse(page, perPage);
        PanacheQuery<Instance> query = modelId == null || modelId.isBlank()
                ? Instance.findAll(ORDER)
                : Instance.find("modelId", ORDER, modelId);
        return query.page(request.index(), request.perPage()).list()
                .chain(instances -> replacementsOf(instances).chain(replacements -> query.count().map(total ->
                        PageView.of(instances.stream().map(i -> InstanceView.of(i, replacements.get(i.id)))
                                .toList(), request, total))));
    }

    /** The instances placed to take over from these, by the instance each replaces. */
    public static Uni<Map<UUID, Instance>> replacementsOf(List<Instance> instances) {
        if (instances.isEmpty()) {
            return Uni.createFrom().item(Map.of());
        }
        return Instance.<Instance>list("replaces in ?1", instances.stream().map(i -> i.id).toList())
                .map(found -> found.stream().collect(Collectors.toMap(r -> r.replaces, r -> r, (a, b) -> a)));
    }

    @GET
    @Path("/{id}")
    @WithSession
    public Uni<InstanceView> get(@PathParam("id") String id) {
        UUID uuid;
        try {
            uuid = UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("path parameter 'id' must be a UUID, was '" + id + "'");
        }
        return Instance.<Instance>findById(uuid).chain(instance -> {
            if (instance == null) {
                throw ApiException.notFound("instance '" + id + "' not found");
            }
            return replacementsOf(List.of(instance)).chain(replacements ->
                    view(InstanceView.of(instance, replacements.get(instance.id)), instance));
        });
    }

    /** A PENDING instance's view gets why it fits nowhere (per worker) or where it would go, worked out now. */
    private Uni<InstanceView> view(InstanceView view, Instance instance) {
        if (instance.state != InstanceState.PENDING) {
            return Uni.createFrom().item(view);
        }
        return Model.<Model>findById(instance.modelId).chain(model -> model == null || model.spec == null
                ? Uni.createFrom().item(view)
                : preview.evaluate(model.id, model.spec, model.estimate).map(decision ->
                        view.withPlacement(decision instanceof PlacementDecision.NoFit noFit
                                ? PlacementView.pending(noFit.reason(), noFit.perWorker())
                                : PlacementView.of(decision))));
    }
}
