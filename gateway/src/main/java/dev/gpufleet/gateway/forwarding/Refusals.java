package dev.gpufleet.gateway.forwarding;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gpufleet.gateway.openai.OpenAiError;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import org.jboss.logging.Logger;

/**
 * The answers the gateway gives itself instead of a backend's, in OpenAI's error shape, each one counted: in the
 * refusals by reason and in the requests by endpoint and status.
 */
final class Refusals {
    /** A model name that is not registered: never a metric tag (clients choose it). */
    static final String NO_MODEL = "-";
    private static final Logger LOG = Logger.getLogger(Refusals.class);

    private final ObjectMapper json;
    private final ForwardingMeters meters;
    private final long maxBodyBytes;

    Refusals(ObjectMapper json, ForwardingMeters meters, long maxBodyBytes) {
        this.json = json;
        this.meters = meters;
        this.maxBodyBytes = maxBodyBytes;
    }

    /** The gateway answers itself; {@code model} is a metric tag, so only a registered model's name or "-". */
    void refuse(RoutingContext ctx, int status, OpenAiError error, String reason, String model) {
        refuse(ctx, status, error, reason, model, System.nanoTime());
    }

    void refuse(RoutingContext ctx, int status, OpenAiError error, String reason, String model, long receivedAt) {
        countRefusal(ctx, status, reason, model, receivedAt);
        HttpServerResponse response = ctx.response();
        if (response.headWritten() || response.closed()) {
            return;
        }
        response.setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .end(render(error));
    }

    /** A body over the limit: 413, and the connection closed, since the rest of the body is not read. */
    void bodyTooLarge(RoutingContext ctx) {
        ctx.response().putHeader(HttpHeaders.CONNECTION, "close");
        refuse(ctx, 413, OpenAiError.bodyTooLarge(maxBodyBytes), "body_too_large", NO_MODEL);
    }

    /** The route's failure handler: what went wrong outside the forwarding's own handling. */
    void failed(RoutingContext ctx) {
        if (ctx.response().closed()) {
            clientLeft(ctx, ctx.failure());
            return;
        }
        int status = ctx.statusCode() > 0 ? ctx.statusCode() : 500;
        if (status >= 500) {
            LOG.error("Could not forward " + ctx.request().path(), ctx.failure());
        }
        OpenAiError error = status == 413
                ? OpenAiError.bodyTooLarge(maxBodyBytes)
                : OpenAiError.of("The gateway could not handle this request.",
                status < 500 ? OpenAiError.INVALID_REQUEST : "api_error", null, null);
        refuse(ctx, status, error, status == 413 ? "body_too_large" : "failed", NO_MODEL);
    }

    /**
     * The client hung up before its whole request came or while its key was looked up (a reset, a client's own
     * timeout): no one to answer, and not the gateway's fault, so counted (499, as nginx logs it) but not logged as
     * an error.
     */
    void clientLeft(RoutingContext ctx, Object why) {
        LOG.debugf("A client left before its request to %s was read: %s", ctx.request().path(), why);
        countRefusal(ctx, 499, "client_gone", NO_MODEL, System.nanoTime());
    }

    /** The error as the JSON body OpenAI's clients read. */
    String render(OpenAiError error) {
        try {
            return json.writeValueAsString(error);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render " + error, e);
        }
    }

    /** A request the gateway ended itself: in the refusals by reason and in the requests by endpoint and status. */
    private void countRefusal(RoutingContext ctx, int status, String reason, String model, long receivedAt) {
        meters.refused(reason);
        String endpoint = ctx.currentRoute() == null ? null : ctx.currentRoute().getPath();
        meters.record(endpoint == null ? "other" : endpoint, model, status, false, reason, receivedAt);
    }
}
