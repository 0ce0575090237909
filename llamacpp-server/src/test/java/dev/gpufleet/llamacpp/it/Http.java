package dev.gpufleet.llamacpp.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;

/** A small JSON-over-HTTP client for the tests. */
final class Http {

    static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    record Response(int status, JsonNode body, String raw) {}

    /** One server-sent line as it arrived. */
    record Line(String text, long arrivedNanos) {}

    private final String baseUrl;
    private final String apiKey;

    Http(String baseUrl, String apiKey) {
        this.baseUrl = baseUrl;
        this.apiKey = apiKey;
    }

    Http withKey(String key) {
        return new Http(baseUrl, key);
    }

    Response get(String path) throws Exception {
        return send(request(path).GET().build());
    }

    Response post(String path, String body) throws Exception {
        return send(request(path).POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    Response post(String path, JsonNode body) throws Exception {
        return post(path, body.toString());
    }

    /** Posts and collects the non-empty lines of the event stream with their arrival times. */
    List<Line> stream(String path, JsonNode body) throws Exception {
        HttpResponse<Stream<String>> response = CLIENT.send(
                request(path).POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(),
                HttpResponse.BodyHandlers.ofLines());
        if (response.statusCode() != 200) {
            throw new AssertionError("status " + response.statusCode());
        }
        if (!response.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream")) {
            throw new AssertionError("not an event stream: " + response.headers());
        }
        List<Line> lines = new ArrayList<>();
        try (Stream<String> s = response.body()) {
            Iterator<String> it = s.iterator();
            while (it.hasNext()) {
                String line = it.next();
                if (!line.isEmpty()) {
                    lines.add(new Line(line, System.nanoTime()));
                }
            }
        }
        return lines;
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json");
        if (apiKey != null) {
            b.header("Authorization", "Bearer " + apiKey);
        }
        return b;
    }

    private static Response send(HttpRequest request) throws Exception {
        HttpResponse<String> r = CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
        JsonNode body = null;
        try {
            body = JSON.readTree(r.body());
        } catch (Exception notJson) {
            // keep the raw text for the assertion message
        }
        return new Response(r.statusCode(), body, r.body());
    }
}
