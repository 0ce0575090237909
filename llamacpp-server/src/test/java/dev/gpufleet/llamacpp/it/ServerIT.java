package dev.gpufleet.llamacpp.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gpufleet.demomodel.DemoModel;
import dev.gpufleet.demomodel.Preset;
import dev.gpufleet.demomodel.TensorType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One real server on a generated tiny model, started with most options, exercised over HTTP. */
class ServerIT {

    private static final String KEY = "test-key-0123456789";

    @TempDir
    static Path dir;

    static ServerProcess server;
    static Http http;

    @BeforeAll
    static void startServer() throws Exception {
        Path model = dir.resolve("tiny.gguf");
        DemoModel.write(Preset.TINY, TensorType.F32, 11, model);
        server = ServerProcess.start(dir.resolve("server"), List.of(), List.of("-m", model.toString(),
                "--port", "0", "--alias", "tiny-chat", "--api-key", KEY, "--embeddings", "-np", "2", "-c", "1024",
                "-t", "2", "-ngl", "99"));
        server.awaitListening(Duration.ofSeconds(30));
        http = new Http(server.baseUrl(), KEY);
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (server != null) {
            server.close();
            assertEquals(0, server.exitCode(), "SIGTERM ends the server with 0");
            assertEquals(List.of(), server.crashReports());
        }
    }

    static ObjectNode chat(int maxTokens) {
        ObjectNode body = Http.JSON.createObjectNode().put("model", "tiny-chat").put("max_tokens", maxTokens);
        body.putArray("messages").addObject().put("role", "user").put("content", "hello world, the gpu cluster");
        return body;
    }

    @Test
    void healthAnswersWithoutAKey() throws Exception {
        Http.Response r = http.withKey(null).get("/health");
        assertEquals(200, r.status());
        assertEquals("ok", r.body().path("status").asText());
    }

    @Test
    void everyOtherRouteNeedsTheKey() throws Exception {
        for (Http.Response r : List.of(http.withKey(null).get("/v1/models"), http.withKey("wrong").get("/v1/models"),
                http.withKey(null).post("/v1/chat/completions", chat(4)))) {
            assertEquals(401, r.status(), r.raw());
            JsonNode error = r.body().path("error");
            assertEquals("authentication_error", error.path("type").asText());
            assertEquals(401, error.path("code").asInt());
            assertTrue(error.path("message").asText().contains("API key"), r.raw());
        }
    }

    @Test
    void modelsListTheAlias() throws Exception {
        Http.Response r = http.get("/v1/models");
        assertEquals(200, r.status());
        assertEquals("list", r.body().path("object").asText());
        JsonNode model = r.body().path("data").get(0);
        assertEquals("tiny-chat", model.path("id").asText());
        assertEquals("model", model.path("object").asText());
        assertEquals(64, model.path("meta").path("n_embd").asInt());
    }

    @Test
    void chatCompletionWithUsage() throws Exception {
        Http.Response r = http.post("/v1/chat/completions", chat(16).put("ignore_eos", true).put("seed", 3));
        assertEquals(200, r.status(), r.raw());
        JsonNode body = r.body();
        assertEquals("chat.completion", body.path("object").asText());
        assertEquals("tiny-chat", body.path("model").asText());
        assertTrue(body.path("id").asText().startsWith("chatcmpl-"));
        JsonNode choice = body.path("choices").get(0);
        assertEquals("assistant", choice.path("message").path("role").asText());
        assertFalse(choice.path("message").path("content").asText().isEmpty(), r.raw());
        assertEquals("length", choice.path("finish_reason").asText());
        JsonNode usage = body.path("usage");
        assertTrue(usage.path("prompt_tokens").asInt() > 5, r.raw());
        assertEquals(16, usage.path("completion_tokens").asInt(), r.raw());
        assertEquals(usage.path("prompt_tokens").asInt() + 16, usage.path("total_tokens").asInt());
    }

    @Test
    void chatThatMayEndEarlyStaysWithinItsBudget() throws Exception {
        for (int seed = 1; seed <= 3; seed++) {
            Http.Response r = http.post("/v1/chat/completions", chat(24).put("seed", seed).put("temperature", 1.0));
            assertEquals(200, r.status(), r.raw());
            int completion = r.body().path("usage").path("completion_tokens").asInt();
            String finish = r.body().path("choices").get(0).path("finish_reason").asText();
            assertTrue(completion >= 1 && completion <= 24, r.raw());
            assertEquals(completion == 24 ? "length" : "stop", finish, r.raw());
        }
    }

    @Test
    void streamingChatSendsPiecesAsTheyAreGenerated() throws Exception {
        ObjectNode body = chat(48).put("stream", true).put("ignore_eos", true);
        body.putObject("stream_options").put("include_usage", true);
        List<Http.Line> lines = http.stream("/v1/chat/completions", body);

        assertTrue(lines.stream().allMatch(l -> l.text().startsWith("data: ")), lines.toString());
        assertEquals("data: [DONE]", lines.get(lines.size() - 1).text());
        List<JsonNode> chunks = new ArrayList<>();
        for (Http.Line l : lines.subList(0, lines.size() - 1)) {
            chunks.add(Http.JSON.readTree(l.text().substring("data: ".length())));
        }
        assertTrue(chunks.stream().allMatch(c -> c.path("object").asText().equals("chat.completion.chunk")));
        assertEquals(1, chunks.stream().map(c -> c.path("id").asText()).distinct().count(), "one id per response");
        assertEquals("assistant", chunks.get(0).path("choices").get(0).path("delta").path("role").asText());

        JsonNode usageChunk = chunks.get(chunks.size() - 1);
        assertEquals(0, usageChunk.path("choices").size());
        assertEquals(48, usageChunk.path("usage").path("completion_tokens").asInt());
        JsonNode finalChunk = chunks.get(chunks.size() - 2);
        assertEquals("length", finalChunk.path("choices").get(0).path("finish_reason").asText());

        List<Http.Line> pieces = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        for (int i = 1; i < chunks.size() - 2; i++) {
            JsonNode choice = chunks.get(i).path("choices").get(0);
            assertTrue(choice.path("finish_reason").isNull());
            assertTrue(chunks.get(i).path("usage").isNull(), "usage is null until the usage chunk");
            text.append(choice.path("delta").path("content").asText());
            pieces.add(lines.get(i));
        }
        assertTrue(pieces.size() >= 10, "several pieces: " + pieces.size());
        assertFalse(text.toString().isBlank());
        long spreadMillis = (pieces.get(pieces.size() - 1).arrivedNanos() - pieces.get(0).arrivedNanos()) / 1_000_000;
        assertTrue(spreadMillis >= 2, "pieces arrive while they are generated, not all at once: " + spreadMillis + " ms");
    }

    @Test
    void completionStreamingAndNot() throws Exception {
        ObjectNode body = Http.JSON.createObjectNode().put("prompt", "the gpu cluster").put("max_tokens", 12)
                .put("ignore_eos", true);
        Http.Response r = http.post("/v1/completions", body);
        assertEquals(200, r.status(), r.raw());
        assertEquals("text_completion", r.body().path("object").asText());
        assertFalse(r.body().path("choices").get(0).path("text").asText().isEmpty());
        assertEquals("length", r.body().path("choices").get(0).path("finish_reason").asText());
        assertEquals(12, r.body().path("usage").path("completion_tokens").asInt());
        assertEquals(4, r.body().path("usage").path("prompt_tokens").asInt(), "<s> ▁the ▁gpu ▁cluster");

        List<Http.Line> lines = http.stream("/v1/completions", body.put("stream", true));
        assertEquals("data: [DONE]", lines.get(lines.size() - 1).text());
        JsonNode last = Http.JSON.readTree(lines.get(lines.size() - 2).text().substring(6));
        assertEquals("length", last.path("choices").get(0).path("finish_reason").asText());
        assertTrue(lines.size() >= 6, lines.toString());
    }

    @Test
    void stopStringsEndTheText() throws Exception {
        ObjectNode body = Http.JSON.createObjectNode().put("prompt", "hello world").put("max_tokens", 24)
                .put("temperature", 0).put("ignore_eos", true);
        String full = http.post("/v1/completions", body).body().path("choices").get(0).path("text").asText();
        String[] words = full.trim().split(" ");
        assertTrue(words.length >= 4, full);
        String stop = " " + words[3];
        int cut = full.indexOf(stop);

        Http.Response stopped = http.post("/v1/completions", body.put("stop", stop));
        JsonNode choice = stopped.body().path("choices").get(0);
        assertEquals(full.substring(0, cut), choice.path("text").asText(), "greedy text up to the stop string");
        assertEquals("stop", choice.path("finish_reason").asText());
    }

    @Test
    void embeddingsHaveTheModelsWidthAndAreStable() throws Exception {
        ObjectNode body = Http.JSON.createObjectNode();
        body.putArray("input").add("hello world").add("the gpu cluster").add("hello world");
        Http.Response r = http.post("/v1/embeddings", body);
        assertEquals(200, r.status(), r.raw());
        assertEquals("tiny-chat", r.body().path("model").asText());
        JsonNode data = r.body().path("data");
        assertEquals(3, data.size());
        float[][] vectors = new float[3][];
        for (int i = 0; i < 3; i++) {
            assertEquals(i, data.get(i).path("index").asInt());
            JsonNode values = data.get(i).path("embedding");
            assertEquals(64, values.size(), "n_embd of the tiny model");
            vectors[i] = new float[64];
            double norm = 0;
            for (int j = 0; j < 64; j++) {
                vectors[i][j] = (float) values.get(j).asDouble();
                norm += vectors[i][j] * vectors[i][j];
            }
            assertEquals(1.0, Math.sqrt(norm), 1e-3, "normalised");
        }
        assertArrayEquals(vectors[0], vectors[2], "same text, same vector");
        assertFalse(java.util.Arrays.equals(vectors[0], vectors[1]), "different text, different vector");
        assertTrue(r.body().path("usage").path("prompt_tokens").asInt() >= 9);

        Http.Response encoded = http.post("/v1/embeddings",
                Http.JSON.createObjectNode().put("input", "hello world").put("encoding_format", "base64"));
        ByteBuffer bytes = ByteBuffer.wrap(Base64.getDecoder().decode(
                encoded.body().path("data").get(0).path("embedding").asText())).order(ByteOrder.LITTLE_ENDIAN);
        float[] decoded = new float[bytes.remaining() / 4];
        bytes.asFloatBuffer().get(decoded);
        assertArrayEquals(vectors[0], decoded);
    }

    @Test
    void badRequestsAreAnsweredInOpenAisErrorShapeNamingTheField() throws Exception {
        Http.Response wrongType = http.post("/v1/chat/completions", chat(4).put("max_tokens", "many"));
        assertEquals(400, wrongType.status());
        assertEquals("invalid_request_error", wrongType.body().path("error").path("type").asText());
        assertTrue(wrongType.body().path("error").path("message").asText().startsWith("max_tokens"), wrongType.raw());

        Http.Response malformed = http.post("/v1/chat/completions", "{\"messages\": [");
        assertEquals(400, malformed.status());
        assertTrue(malformed.body().path("error").path("message").asText().contains("not valid JSON"));

        Http.Response missing = http.post("/v1/completions", "{}");
        assertEquals(400, missing.status());
        assertTrue(missing.body().path("error").path("message").asText().startsWith("prompt"));

        assertEquals(404, http.get("/v1/nothing").status());
        assertEquals(405, http.get("/v1/chat/completions").status());
        Http.Response rerank = http.post("/v1/rerank", "{}");
        assertEquals(501, rerank.status());
        assertEquals("not_supported_error", rerank.body().path("error").path("type").asText());
    }

    @Test
    void requestsBeyondTheSlotsAreQueuedNotRefused() throws Exception {
        ExecutorService clients = Executors.newFixedThreadPool(5);
        try {
            List<Future<Http.Response>> answers = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                ObjectNode body = chat(32).put("ignore_eos", true).put("seed", i);
                answers.add(clients.submit(() -> http.post("/v1/chat/completions", body)));
            }
            for (Future<Http.Response> a : answers) {
                Http.Response r = a.get();
                assertEquals(200, r.status(), r.raw());
                assertEquals(32, r.body().path("usage").path("completion_tokens").asInt());
            }
        } finally {
            clients.shutdownNow();
        }
    }

    @Test
    void emojiSurviveTheChatTemplate() throws Exception {
        ObjectNode plain = chat(1);
        ((ObjectNode) plain.path("messages").get(0)).put("content", "hello world");
        ObjectNode emoji = chat(1);
        ((ObjectNode) emoji.path("messages").get(0)).put("content", "hello \uD83D\uDE80 world");
        int plainTokens = http.post("/v1/chat/completions", plain).body().path("usage").path("prompt_tokens").asInt();
        Http.Response r = http.post("/v1/chat/completions", emoji);
        assertEquals(200, r.status(), r.raw());
        // the rocket is 4 UTF-8 bytes, each a byte token, plus the word boundary before it
        assertNotEquals(plainTokens, r.body().path("usage").path("prompt_tokens").asInt());
        assertEquals(plainTokens + 5, r.body().path("usage").path("prompt_tokens").asInt(), r.raw());
    }
}
