package dev.gpufleet.chaos.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;

/** The admin and health calls the suite makes: an answer is a status (-1 when none came), headers and JSON. */
public final class Http {
    public static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();

    /** @param error why no answer came, when {@code status} is -1 */
    public record Answer(int status, HttpResponse<String> response, String error, long millis) {
        public JsonNode json() {
            if (response == null || response.body() == null || response.body().isBlank()) {
                return MissingNode.getInstance();
            }
            try {
                return JSON.readTree(response.body());
            } catch (IOException e) {
                return MissingNode.getInstance();
            }
        }

        public Optional<String> header(String name) {
            return response == null ? Optional.empty() : response.headers().firstValue(name);
        }

        public String body() {
            return response == null ? "" : response.body();
        }

        public String describe() {
            return status < 0 ? "no answer (" + error + ") after " + millis + " ms"
                    : status + " " + abbreviate(body()) + " after " + millis + " ms";
        }
    }

    private Http() {
    }

    public static Answer get(String url, String token, Duration timeout) {
        return send(request(url, token, timeout).GET().build());
    }

    public static Answer post(String url, String token, String json, Duration timeout) {
        return send(request(url, token, timeout).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build());
    }

    public static Answer put(String url, String token, String json, Duration timeout) {
        return send(request(url, token, timeout).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(json)).build());
    }

    private static HttpRequest.Builder request(String url, String token, Duration timeout) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(timeout);
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return b;
    }

    private static Answer send(HttpRequest request) {
        long t0 = System.nanoTime();
        try {
            HttpResponse<String> r = CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
            return new Answer(r.statusCode(), r, null, (System.nanoTime() - t0) / 1_000_000);
        } catch (IOException e) {
            return new Answer(-1, null, e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": "
                    + e.getMessage()), (System.nanoTime() - t0) / 1_000_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Answer(-1, null, "interrupted", (System.nanoTime() - t0) / 1_000_000);
        }
    }

    static String abbreviate(String s) {
        String one = s.replace('\n', ' ');
        return one.length() <= 300 ? one : one.substring(0, 297) + "...";
    }
}
