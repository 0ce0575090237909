package dev.gpufleet.gateway.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.gateway.routing.RoutingTable;
import dev.gpufleet.kit.auth.ClusterToken;
import dev.gpufleet.kit.http.ApiError;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * {@code GET /api/v1/instances/{id}/logs?tail=N&follow=true}: the instance's backend log, relayed from the agent of
 * the worker it is placed on ({@code GET /api/v1/logs/{id}} there, with the cluster token), buffer by buffer, so a
 * followed log streams through. The agent checks {@code tail} and {@code follow} and its answer, errors included,
 * is passed on as it is.
 *
 * <p>The gateway's AuthFilter guards it like the rest of the admin API: an admin's key or the cluster token.
 * A plain Vert.x route, as in forwarding, because the answer is relayed between two connections, never collected.
 */
@Singleton
public class InstanceLogsRoute {
    public static final String PATH = "/api/v1/instances/:id/logs";

    private final RoutingTable table;
    private final WorkerDirectory workers;
    private final ObjectMapper json;
    private final String authorization;
    private final HttpClient client;

    public InstanceLogsRoute(RoutingTable table, WorkerDirectory workers, ObjectMapper json, io.vertx.core.Vertx vertx,
                             ClusterToken token) {
        this.client = vertx.createHttpClient(new HttpClientOptions().setConnectTimeout(3_000));
        this.table = table;
        this.workers = workers;
        this.json = json;
        this.authorization = token.bearer();
    }

    void register(@Observes Router router) {
        router.get(PATH).handler(this::relay);
    }

    private void relay(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        RoutingTable.InstanceEntry entry = table.snapshot().instances().get(id);
        if (entry == null || entry.deleted()) {
            error(ctx, 404, "Not Found", "No instance '" + id + "': give the id of an existing instance.");
            return;
        }
        InstanceChanged instance = entry.instance();
        if (instance.workerId() == null) {
            error(ctx, 409, "Conflict", "Instance " + instance.name() + " is " + instance.state()
                    + " and placed on no worker, so it has no backend log.");
            return;
        }
        WorkerDirectory.AgentAddress agent = workers.agent(instance.workerId()).orElse(null);
        if (agent == null) {
            error(ctx, 503, "Service Unavailable", "Worker " + name(instance) + " of instance " + instance.name()
                    + " has not reported where its agent listens; try again after its next heartbeat.");
            return;
        }
        StringBuilder uri = new StringBuilder("/api/v1/logs/").append(URLEncoder.encode(id, StandardCharsets.UTF_8)
                .replace("+", "%20"));
        String query = ctx.request().query();
        if (query != null && !query.isEmpty()) {
            uri.append('?').append(query);
        }
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setHost(agent.host())
                .setPort(agent.port()).setURI(uri.toString())
                .putHeader(HttpHeaders.AUTHORIZATION, authorization);
        client.request(options)
                .compose(request -> request.send())
                .onSuccess(answer -> pipe(ctx, answer))
                .onFailure(failure -> error(ctx, 502, "Bad Gateway", "The agent of worker " + name(instance)
                        + " at " + agent.host() + ":" + agent.port() + " did not answer: " + failure.getMessage()));
    }

    private void pipe(RoutingContext ctx, HttpClientResponse answer) {
        var response = ctx.response().setStatusCode(answer.statusCode()).setChunked(true);
        String type = answer.getHeader(HttpHeaders.CONTENT_TYPE);
        if (type != null) {
            response.putHeader(HttpHeaders.CONTENT_TYPE, type);
        }
        // the client leaving closes the agent connection too, which ends the agent's follower
        response.closeHandler(ignored -> answer.request().connection().close());
        answer.pipeTo(response);
    }

    private static String name(InstanceChanged instance) {
        return instance.workerName() != null ? instance.workerName() : instance.workerId();
    }

    private void error(RoutingContext ctx, int status, String reason, String message) {
        if (ctx.response().headWritten()) {
            ctx.response().reset();
            return;
        }
        String body;
        try {
            body = json.writeValueAsString(new ApiError(status, reason, message));
        } catch (JsonProcessingException e) {
            body = "{\"code\":" + status + "}";
        }
        ctx.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(body);
    }
}
