package dev.gpufleet.scheduler.modelfiles;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gpufleet.kit.auth.ClusterToken;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Asks a worker's agent to delete a model file set: {@code DELETE /api/v1/model-files/{id}} on the agent's API
 * (the address and port of its heartbeat), with the service token. The agent checks again that no instance uses the
 * files, so a placement the heartbeat has not shown yet cannot lose them.
 */
@ApplicationScoped
public class AgentModelFiles {
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    /** Deleting a large repository's files takes a moment on a slow disk. */
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    /** @param message the agent's own words for anything but 204, or why it could not be asked */
    public record Answer(int status, String message) {
        public static final int UNREACHABLE = -1;
    }

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).build();
    private final ClusterToken token;
    private final ObjectMapper json;

    public AgentModelFiles(ClusterToken token, ObjectMapper json) {
        this.token = token;
        this.json = json;
    }

    public Uni<Answer> delete(String address, int port, String id) {
        String host = address.contains(":") && !address.startsWith("[") ? "[" + address + "]" : address;
        URI uri = URI.create("http://" + host + ":" + port + "/api/v1/model-files/"
                + URLEncoder.encode(id, StandardCharsets.UTF_8).replace("+", "%20"));
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(TIMEOUT).header("Authorization", token.bearer())
                .DELETE().build();
        // the answer arrives on the HTTP client's thread: carry on on the caller's Vert.x context, where the
        // reactive database session lives
        Context context = Vertx.currentContext();
        Uni<Answer> answer = Uni.createFrom()
                .completionStage(() -> http.sendAsync(request, HttpResponse.BodyHandlers.ofString()))
                .map(response -> new Answer(response.statusCode(), message(response)))
                .onFailure().recoverWithItem(failure -> new Answer(Answer.UNREACHABLE, "the agent at " + host + ":"
                        + port + " did not answer: " + failure));
        return context == null ? answer : answer.emitOn(task -> context.runOnContext(ignored -> task.run()));
    }

    private String message(HttpResponse<String> response) {
        if (response.statusCode() == 204 || response.body() == null || response.body().isBlank()) {
            return null;
        }
        try {
            JsonNode body = json.readTree(response.body());
            return body.hasNonNull("message") ? body.get("message").asText() : response.body();
        } catch (Exception notJson) {
            return response.body();
        }
    }
}
