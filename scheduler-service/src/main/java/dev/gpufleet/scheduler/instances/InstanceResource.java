package dev.gpufleet.scheduler.instances;

import dev.gpufleet.kit.http.ApiException;
import dev.gpufleet.scheduler.http.PageRequest;
import dev.gpufleet.scheduler.http.PageView;
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

import java.util.UUID;

@Path("/api/v1/instances")
@Produces(MediaType.APPLICATION_JSON)
public class InstanceResource {
    private static final Sort ORDER = Sort.by("modelName").and("createdAt").and("id");

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
        return Instance.<Instance>findById(uuid).map(instance -> {
            if (instance == null) {
                throw ApiException.notFound("instance '" + id + "' not found");
            }
            return InstanceView.of(instance);
        });
    }
}
