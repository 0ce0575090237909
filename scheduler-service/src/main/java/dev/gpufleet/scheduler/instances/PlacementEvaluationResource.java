package dev.gpufleet.scheduler.instances;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.gpufleet.events.EventCodec;
import dev.gpufleet.events.ModelSpec;
import dev.gpufleet.events.ResourceEstimate;
import dev.gpufleet.kit.http.ApiException;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;


/**
 * {@code POST /api/v1/placement-evaluations}: where a model spec with its estimate would go now — a dry run that
 * places nothing. The registry's {@code /api/v1/model-evaluations} asks this after validating and analysing the
 * spec. The body is the event contract's JSON: {@code {"spec": ModelSpec, "estimate": ResourceEstimate|null}}.
 */
@Path("/api/v1/placement-evaluations")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class PlacementEvaluationResource {
    private final PlacementPreview preview;

    public PlacementEvaluationResource(PlacementPreview preview) {
        this.preview = preview;
    }

    @POST
    @WithSession
    public Uni<PlacementView> evaluate(String body) {
        ModelSpec spec;
        ResourceEstimate estimate;
        try {
            JsonNode tree = EventCodec.mapper().readTree(body == null ? "" : body);
            if (tree == null || !tree.isObject() || !tree.path("spec").isObject()) {
                throw ApiException.badRequest("spec: required, a model spec object");
            }
            spec = EventCodec.mapper().treeToValue(tree.get("spec"), ModelSpec.class);
            JsonNode estimateNode = tree.path("estimate");
            estimate = estimateNode.isObject() ? EventCodec.mapper().treeToValue(estimateNode, ResourceEstimate.class)
                    : null;
        } catch (JsonProcessingException e) {
            throw ApiException.badRequest("body: not a placement evaluation request: " + e.getOriginalMessage());
        }
        if (spec.backend() == null || spec.backend().isBlank()) {
            throw ApiException.badRequest("spec.backend: required, one of llama-box, vllm, vox-box, mindie");
        }
        return preview.evaluate("evaluation", spec, estimate).map(PlacementView::of);
    }
}
