package dev.gpufleet.registry.evaluations;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gpufleet.events.EventCodec;
import dev.gpufleet.events.ModelSpec;
import dev.gpufleet.events.ResourceEstimate;
import dev.gpufleet.kit.auth.ClusterToken;
import dev.gpufleet.registry.hub.HubConfig;
import jakarta.enterprise.context.ApplicationScoped;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * Asks the scheduler where a model would go now ({@code POST /api/v1/placement-evaluations}), creating nothing.
 * The one request/response call between the services: a dry run has no event to wait for. Blocking.
 */
@ApplicationScoped
public class SchedulerClient {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final URI evaluations;
    private final ClusterToken clusterToken;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();

    public SchedulerClient(HubConfig config, ClusterToken clusterToken) {
        this.evaluations = config.schedulerUrl().resolve("/api/v1/placement-evaluations");
        this.clusterToken = clusterToken;
    }

    /** The scheduler's answer as it gave it; a scheduler that cannot be asked is a {@link SchedulerUnavailable}. */
    public JsonNode evaluate(ModelSpec spec, ResourceEstimate estimate) throws SchedulerUnavailable {
        ObjectNode body = EventCodec.mapper().createObjectNode();
        body.set("spec", EventCodec.mapper().valueToTree(spec));
        body.set("estimate", estimate == null ? null : EventCodec.mapper().valueToTree(estimate));
        HttpRequest request = HttpRequest.newBuilder(evaluations).timeout(TIMEOUT)
                .header("Authorization", clusterToken.bearer())
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build();
        try {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new SchedulerUnavailable("the scheduler answered " + response.statusCode() + ": "
                        + abbreviate(response.body()));
            }
            return EventCodec.mapper().readTree(response.body());
        } catch (IOException e) {
            throw new SchedulerUnavailable("the scheduler at " + evaluations + " cannot be reached: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SchedulerUnavailable("interrupted");
        }
    }

    private static String abbreviate(String text) {
        return text == null ? "" : text.length() > 300 ? text.substring(0, 300) + "..." : text;
    }

    public static final class SchedulerUnavailable extends Exception {
        public SchedulerUnavailable(String message) {
            super(message);
        }
    }
}
