package dev.gpufleet.registry.evaluations;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import dev.gpufleet.events.ModelAnalysis;
import dev.gpufleet.events.ModelSpec;
import dev.gpufleet.kit.http.ApiException;
import dev.gpufleet.registry.analysis.Analysis;
import dev.gpufleet.registry.analysis.ModelAnalyzer;
import dev.gpufleet.registry.models.FieldError;
import dev.gpufleet.registry.models.ModelSpecRequest;
import dev.gpufleet.registry.models.ModelSpecValidator;
import dev.gpufleet.registry.models.ModelView;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code POST /api/v1/model-evaluations}: would these model specs fit now, where, with which claim — a dry run
 * that validates, analyses (reading a hub's headers if need be) and asks the scheduler, creating nothing.
 */
@Path("/api/v1/model-evaluations")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class ModelEvaluationsResource {
    static final int MAX_SPECS = 20;

    private final ModelAnalyzer analyzer;
    private final SchedulerClient scheduler;
    private final Vertx vertx;

    private final dev.gpufleet.registry.models.ModelRoots roots;

    public ModelEvaluationsResource(ModelAnalyzer analyzer, SchedulerClient scheduler, Vertx vertx,
                                    dev.gpufleet.registry.models.ModelRoots roots) {
        this.roots = roots;
        this.analyzer = analyzer;
        this.scheduler = scheduler;
        this.vertx = vertx;
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Request(List<ModelSpecRequest> modelSpecs) {
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Response(List<Result> results) {
    }

    /**
     * @param compatible the spec is valid, the model could be analysed, and the scheduler would place it now
     * @param messages   what stands in the way (or warnings when compatible)
     * @param placement  the scheduler's answer: worker, GPUs, claim, shape and rationale, or why it fits nowhere
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Result(String name, boolean compatible, List<String> messages, ModelView.AnalysisView analysis,
                         ModelView.EstimateView estimate, JsonNode placement) {
    }

    @POST
    public Uni<Response> evaluate(Request body) {
        if (body == null || body.modelSpecs() == null || body.modelSpecs().isEmpty()) {
            throw ApiException.badRequest("model_specs: must be a list of 1 to " + MAX_SPECS + " model specs");
        }
        if (body.modelSpecs().size() > MAX_SPECS) {
            throw ApiException.badRequest("model_specs: at most " + MAX_SPECS + " model specs, was "
                    + body.modelSpecs().size());
        }
        return vertx.executeBlocking(() -> new Response(body.modelSpecs().stream().map(this::evaluateOne).toList()));
    }

    private Result evaluateOne(ModelSpecRequest request) {
        String name = request == null ? null : request.name();
        if (request == null) {
            return new Result(null, false, List.of("model spec: must be an object"), null, null, null);
        }
        ModelSpecValidator.Result valid = ModelSpecValidator.validate(request, roots.roots());
        if (!valid.valid()) {
            return new Result(name, false, valid.errors().stream().map(FieldError::toString).toList(), null, null,
                    null);
        }
        List<String> messages = new ArrayList<>(valid.warnings().stream().map(FieldError::toString).toList());
        ModelSpec spec = valid.spec();
        Analysis analysis = analyzer.step(spec).analysis();
        ModelView.AnalysisView analysisView = ModelView.AnalysisView.of(analysis.analysis());
        ModelView.EstimateView estimateView = ModelView.EstimateView.of(analysis.estimate());
        if (analysis.analysis().state() != ModelAnalysis.State.ANALYZED && analysis.estimate() == null) {
            messages.add("analysis " + analysis.analysis().state().name().toLowerCase(java.util.Locale.ROOT) + ": "
                    + analysis.analysis().message());
            return new Result(name, false, messages, analysisView, estimateView, null);
        }
        try {
            JsonNode placement = scheduler.evaluate(spec, analysis.estimate());
            boolean fits = placement.path("fits").asBoolean(false);
            if (!fits && placement.hasNonNull("reason")) {
                messages.add(placement.get("reason").asText());
            }
            return new Result(name, fits, messages, analysisView, estimateView, placement);
        } catch (SchedulerClient.SchedulerUnavailable e) {
            messages.add(e.getMessage());
            return new Result(name, false, messages, analysisView, estimateView, null);
        }
    }
}
