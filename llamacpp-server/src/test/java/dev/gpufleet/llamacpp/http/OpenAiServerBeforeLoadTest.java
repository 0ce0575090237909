package dev.gpufleet.llamacpp.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gpufleet.llamacpp.ServerOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The server listens before the model is loaded; until then only /health answers, with 503 "loading". */
class OpenAiServerBeforeLoadTest {

    private OpenAiServer server;
    private final HttpClient client = HttpClient.newHttpClient();

    @BeforeEach
    void start() throws Exception {
        server = OpenAiServer.bind(ServerOptions.parse("-m", "m.gguf", "--port", "0", "--api-key", "k").orElseThrow());
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private HttpResponse<String> get(String path, String key) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        return client.send(b.GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void healthSaysLoadingAndOtherRoutesAre503() throws Exception {
        HttpResponse<String> health = get("/health", null);
        assertEquals(503, health.statusCode());
        assertEquals("{\"status\":\"loading\"}", health.body());

        HttpResponse<String> models = get("/v1/models", "k");
        assertEquals(503, models.statusCode());
        assertTrue(models.body().contains("\"type\":\"unavailable_error\""), models.body());
        assertEquals(401, get("/v1/models", null).statusCode(), "the key is checked even while loading");
    }

    @Test
    void stopReturnsPromptlyWhenNothingIsInProgress() throws Exception {
        get("/health", null);
        long started = System.nanoTime();
        server.stop(10);
        assertTrue((System.nanoTime() - started) / 1_000_000 < 2000, "stop waited for nothing");
        server = OpenAiServer.bind(ServerOptions.parse("-m", "m.gguf", "--port", "0").orElseThrow());
    }
}
