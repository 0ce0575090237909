package dev.gpufleet.gateway.openai;

import dev.gpufleet.gateway.routing.RoutingTable;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/** OpenAI's {@code /v1/models}: the registered models, from the routing table. */
@Path("/v1/models")
@Produces(MediaType.APPLICATION_JSON)
public class ModelsResource {
    private final RoutingTable table;

    public ModelsResource(RoutingTable table) {
        this.table = table;
    }

    @GET
    public OpenAiModelList list() {
        return OpenAiModelList.of(table.models().stream().map(OpenAiModel::of).toList());
    }

    /** Model names may contain '/' (e.g. {@code Qwen/Qwen2.5-7B-Instruct}), hence the regex. */
    @GET
    @Path("{model: .+}")
    public Response get(@PathParam("model") String model) {
        return table.model(model)
                .map(entry -> Response.ok(OpenAiModel.of(entry)).build())
                .orElseGet(() -> Response.status(Response.Status.NOT_FOUND)
                        .type(MediaType.APPLICATION_JSON)
                        .entity(OpenAiError.modelNotFound(model)).build());
    }
}
