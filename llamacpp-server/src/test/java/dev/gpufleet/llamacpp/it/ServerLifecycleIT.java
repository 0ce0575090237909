package dev.gpufleet.llamacpp.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gpufleet.demomodel.DemoModel;
import dev.gpufleet.demomodel.Preset;
import dev.gpufleet.demomodel.TensorType;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerLifecycleIT {

    @TempDir
    Path dir;

    @Test
    void sigtermLetsTheRunningStreamFinishThenExitsWith0() throws Exception {
        Path model = dir.resolve("tiny.gguf");
        DemoModel.write(Preset.TINY, TensorType.Q8_0, 5, model);
        Path missingTmp = dir.resolve("no/such/tmp");
        try (ServerProcess server = ServerProcess.start(dir.resolve("server"),
                List.of("-Djava.io.tmpdir=" + missingTmp), List.of("--model", model.toString(), "--port", "0"))) {
            server.awaitListening(Duration.ofSeconds(30));
            Http http = new Http(server.baseUrl(), null);
            try (Stream<Path> files = Files.walk(missingTmp)) {
                assertTrue(files.anyMatch(f -> f.getFileName().toString().equals("libjllama.so")),
                        "the native library was extracted under a java.io.tmpdir that did not exist");
            }
            assertEquals("tiny.gguf", http.get("/v1/models").body().path("data").get(0).path("id").asText(),
                    "without --alias the id is the file name");

            Http.Response embeddings = http.post("/v1/embeddings", "{\"input\":\"hello\"}");
            assertEquals(501, embeddings.status());
            assertTrue(embeddings.body().path("error").path("message").asText().contains("--embeddings"));

            ObjectNode body = Http.JSON.createObjectNode().put("max_tokens", 200).put("ignore_eos", true)
                    .put("stream", true);
            body.putArray("messages").addObject().put("role", "user").put("content", "hello");
            HttpResponse<Stream<String>> response = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create(server.baseUrl() + "/v1/chat/completions"))
                            .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(),
                    HttpResponse.BodyHandlers.ofLines());
            List<String> lines = new ArrayList<>();
            try (Stream<String> s = response.body()) {
                Iterator<String> it = s.iterator();
                while (it.hasNext()) {
                    String line = it.next();
                    if (line.isEmpty()) {
                        continue;
                    }
                    lines.add(line);
                    if (lines.size() == 2) {
                        server.process.destroy(); // SIGTERM while the answer is being generated
                    }
                }
            }
            assertEquals("data: [DONE]", lines.get(lines.size() - 1), "the request in progress was finished");
            assertTrue(lines.size() > 20, "the whole answer came: " + lines.size() + " lines");
            assertTrue(server.process.waitFor(5, TimeUnit.SECONDS), "exits as soon as the request is done");
            assertEquals(0, server.exitCode(), server.stderr());
            assertTrue(server.stdout().contains("llamacpp-server stopped"), server.stdout());
            assertEquals(List.of(), server.crashReports());
        }
    }
}
