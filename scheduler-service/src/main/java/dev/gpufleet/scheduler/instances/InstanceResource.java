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

import java.util.UUID;

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
                .chain(instances -> query.count().map(total ->
                        PageView.of(instances.stream().map(InstanceView::of).toList(), request, total)));
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
            InstanceView view = InstanceView.of(instance);
            if (instance.state != InstanceState.PENDING) {
                return Uni.createFrom().item(view);
            }
            return Model.<Model>findById(instance.modelId).chain(model -> model == null || model.spec == null
                    ? Uni.createFrom().item(view)
                    : preview.evaluate(model.id, model.spec, model.estimate).map(decision ->
                            view.withPlacement(decision instanceof PlacementDecision.NoFit noFit
                                    ? PlacementView.pending(noFit.reason(), noFit.perWorker())
                                    : PlacementView.of(decision))));
        });
    }
}
