package dev.gpufleet.gateway.openai;

import dev.gpufleet.gateway.health.RoutingCatchUp;
import dev.gpufleet.gateway.routing.RoutingTable;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/**
 * OpenAI's {@code /v1/models}: the registered models, from the routing table; 503 with {@code Retry-After} until
 * the table has caught up after the start (a partial list would look like missing models).
 */
@Path("/v1/models")
@Produces(MediaType.APPLICATION_JSON)
public class ModelsResource {
    private static final String RETRY_AFTER_SECONDS = "2";

    private final RoutingTable table;
    private final RoutingCatchUp catchUp;

    public ModelsResource(RoutingTable table, RoutingCatchUp catchUp) {
        this.table = table;
        this.catchUp = catchUp;
    }

    @GET
    public Response list() {
        if (!catchUp.caughtUp()) {
            return loading();
        }
        return Response.ok(OpenAiModelList.of(table.models().stream().map(OpenAiModel::of).toList())).build();
    }

    /** Model names may contain '/' (e.g. {@code Qwen/Qwen2.5-7B-Instruct}), hence the regex. */
    @GET
    @Path("{model: .+}")
    public Response get(@PathParam("model") String model) {
        if (!catchUp.caughtUp()) {
            return loading();
        }
        return table.model(model)
                .map(entry -> Response.ok(OpenAiModel.of(entry)).build())
                .orElseGet(() -> Response.status(Response.Status.NOT_FOUND)
                        .type(MediaType.APPLICATION_JSON)
                        .entity(OpenAiError.modelNotFound(model)).build());
    }

    private static Response loading() {
        return Response.status(Response.Status.SERVICE_UNAVAILABLE).type(MediaType.APPLICATION_JSON)
                .header(HttpHeaders.RETRY_AFTER, RETRY_AFTER_SECONDS)
                .entity(OpenAiError.routingTableLoading()).build();
    }
}
