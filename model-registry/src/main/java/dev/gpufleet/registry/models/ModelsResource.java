package dev.gpufleet.registry.models;

import dev.gpufleet.events.ModelSpec;
import dev.gpufleet.kit.http.ApiException;
import dev.gpufleet.kit.http.PageRequest;
import dev.gpufleet.kit.http.PageView;
import dev.gpufleet.registry.analysis.Analysis;
import dev.gpufleet.registry.analysis.ModelAnalyzer;
import dev.gpufleet.registry.outbox.ModelEventRelay;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.net.URI;
import java.util.Optional;
import java.util.UUID;

/** The admin API for models: {@code /api/v1/models}. */
@Path("/api/v1/models")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class ModelsResource {
    private final ModelStore store;
    private final ModelEventRelay relay;
    private final ModelAnalyzer analyzer;
    private final Vertx vertx;
    private final ModelRoots roots;

    public ModelsResource(ModelStore store, ModelEventRelay relay, ModelAnalyzer analyzer, Vertx vertx,
                          ModelRoots roots) {
        this.roots = roots;
        this.store = store;
        this.relay = relay;
        this.analyzer = analyzer;
        this.vertx = vertx;
    }

    @POST
    public Uni<Response> create(ModelSpecRequest body) {
        ModelSpecValidator.Result valid = validSpec(body);
        ModelSpec spec = valid.spec();
        return analyze(spec).invoke(analysis -> refuseUnservable(spec, analysis))
                .chain(analysis -> store.create(spec, analysis))
                .invoke(relay::wakeUp)
                .map(model -> Response.created(URI.create("/api/v1/models/" + model.id()))
                        .entity(ModelView.of(model).withWarnings(valid.warnings())).build());
    }

    @GET
    public Uni<PageView<ModelView>> list(@QueryParam("page") String page, @QueryParam("per_page") String perPage,
                                         @QueryParam("search") String search) {
        PageRequest request = PageRequest.parse(page, perPage);
        return store.list(request, search).map(slice -> PageView.of(
                slice.items().stream().map(ModelView::of).toList(), request, slice.total()));
    }

    @GET
    @Path("{id}")
    public Uni<ModelView> get(@PathParam("id") String id) {
        return store.find(modelId(id))
                .map(found -> found.map(ModelView::of).orElseThrow(() -> ModelStore.notFound(id)));
    }

    @PUT
    @Path("{id}")
    public Uni<ModelView> replace(@PathParam("id") String id, ModelSpecRequest body) {
        UUID modelId = modelId(id);
        ModelSpecValidator.Result valid = validSpec(body);
        ModelSpec spec = valid.spec();
        return analyze(spec).invoke(analysis -> refuseUnservable(spec, analysis))
                .chain(analysis -> store.replace(modelId, spec, analysis))
                .invoke(relay::wakeUp).map(model -> ModelView.of(model).withWarnings(valid.warnings()));
    }

    /** Looking at a local file may block; the result comes back on this request's context. */
    private Uni<Analysis> analyze(ModelSpec spec) {
        return vertx.executeBlocking(() -> analyzer.analyze(spec));
    }

    /** Runs the model's analysis again (e.g. after a hub token was set); it happens in the background. */
    @POST
    @Path("{id}/analyze")
    public Uni<Response> reanalyze(@PathParam("id") String id) {
        return store.requestAnalysis(modelId(id)).invoke(relay::wakeUp)
                .map(model -> Response.accepted(ModelView.of(model)).build());
    }

    @DELETE
    @Path("{id}")
    public Uni<Response> delete(@PathParam("id") String id) {
        return store.delete(modelId(id)).invoke(relay::wakeUp).map(ignored -> Response.noContent().build());
    }

    /** MindIE serves no embedding or reranker model (the seed); analysis at registration may find one. */
    private static void refuseUnservable(ModelSpec spec, Analysis analysis) {
        if (!"mindie".equals(spec.backend())) {
            return;
        }
        for (String category : DetectedCategories.of(analysis.analysis())) {
            throw ApiException.badRequest("Invalid model spec: backend: mindie serves language and multimodal "
                    + "language models only; analysis of source found a " + category + " model (use vllm or, "
                    + "for a GGUF file, llama-box)");
        }
    }

    private ModelSpecValidator.Result validSpec(ModelSpecRequest body) {
        ModelSpecValidator.Result result = ModelSpecValidator.validate(body, roots.roots());
        if (!result.valid()) {
            throw ApiException.badRequest(result.message());
        }
        return result;
    }

    /** An id that is not a UUID names no model. */
    private static UUID modelId(String id) {
        return parseUuid(id).orElseThrow(() -> ModelStore.notFound(id));
    }

    private static Optional<UUID> parseUuid(String id) {
        try {
            return Optional.of(UUID.fromString(id));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
