package dev.gpufleet.llamacpp.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gpufleet.demomodel.DemoModel;
import dev.gpufleet.demomodel.Preset;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /v1/rerank} for real: llama.cpp ranks with the generated reranker (a BERT cross-encoder with random weights
 * and a classification head, rank pooling). The scores are random; what is checked is the answer's shape, that each
 * document gets a score of its own, the order, {@code top_n} and the errors.
 */
class RerankIT {

    @TempDir
    static Path dir;

    static ServerProcess server;
    static Http http;

    @BeforeAll
    static void startServer() throws Exception {
        Path model = dir.resolve("reranker.gguf");
        DemoModel.write(Preset.TINY_RERANKER, 7, model);
        server = ServerProcess.start(dir.resolve("server"), List.of(), List.of("-m", model.toString(),
                "--port", "0", "--alias", "tiny-rerank", "--rerank", "-np", "2", "-c", "1024", "-t", "2"));
        server.awaitListening(Duration.ofSeconds(30));
        http = new Http(server.baseUrl(), null);
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (server != null) {
            server.close();
            assertEquals(0, server.exitCode(), "SIGTERM ends the server with 0");
            assertEquals(List.of(), server.crashReports());
        }
    }

    private static ObjectNode request(String query, String... documents) {
        ObjectNode body = Http.JSON.createObjectNode().put("model", "tiny-rerank").put("query", query);
        var array = body.putArray("documents");
        for (String d : documents) {
            array.add(d);
        }
        return body;
    }

    @Test
    void everyDocumentGetsItsOwnScoreMostRelevantFirst() throws Exception {
        List<String> documents = List.of("the gpu cluster runs models", "hello world", "a cat sleeps",
                "the gpu cluster runs models");
        Http.Response r = http.post("/v1/rerank", request("which gpu runs the model", documents.toArray(String[]::new)));

        assertEquals(200, r.status(), r.raw());
        assertEquals("tiny-rerank", r.body().path("model").asText());
        JsonNode results = r.body().path("results");
        assertEquals(4, results.size(), r.raw());
        Set<Integer> indexes = new HashSet<>();
        double previous = Double.POSITIVE_INFINITY;
        double[] byIndex = new double[4];
        for (JsonNode result : results) {
            int index = result.path("index").asInt();
            double score = result.path("relevance_score").asDouble();
            assertTrue(indexes.add(index), "each document once: " + r.raw());
            assertTrue(score <= previous, "the most relevant first: " + r.raw());
            assertEquals(documents.get(index), result.path("document").path("text").asText());
            byIndex[index] = score;
            previous = score;
        }
        assertEquals(Set.of(0, 1, 2, 3), indexes);
        assertEquals(byIndex[0], byIndex[3], "the same document, the same score");
        assertNotEquals(byIndex[0], byIndex[1], "different documents, different scores: " + r.raw());
        assertNotEquals(byIndex[1], byIndex[2], "different documents, different scores: " + r.raw());
        assertTrue(r.body().path("usage").path("prompt_tokens").asInt() > 4 * 4, r.raw());

        ObjectNode top = request("which gpu runs the model", documents.toArray(String[]::new)).put("top_n", 2)
                .put("return_documents", false);
        top.withArray("documents").set(1, Http.JSON.createObjectNode().put("text", "hello world"));
        Http.Response best = http.post("/rerank", top);
        assertEquals(200, best.status(), best.raw());
        assertEquals(2, best.body().path("results").size());
        assertEquals(results.get(0).path("index").asInt(), best.body().path("results").get(0).path("index").asInt());
        assertTrue(best.body().path("results").get(0).path("document").isMissingNode(), best.raw());
    }

    @Test
    void badRerankRequestsNameTheFieldAndOtherRoutesSaySo() throws Exception {
        ObjectNode withoutQuery = Http.JSON.createObjectNode();
        withoutQuery.putArray("documents").add("x");
        Http.Response noQuery = http.post("/v1/rerank", withoutQuery);
        assertEquals(400, noQuery.status());
        assertTrue(noQuery.body().path("error").path("message").asText().startsWith("query is required"),
                noQuery.raw());

        Http.Response noDocuments = http.post("/v1/rerank", request("q"));
        assertEquals(400, noDocuments.status());
        assertTrue(noDocuments.body().path("error").path("message").asText().startsWith("documents is required"));

        ObjectNode badDocument = request("q", "fine");
        badDocument.withArray("documents").add(3);
        Http.Response wrong = http.post("/v1/rerank", badDocument);
        assertEquals(400, wrong.status());
        assertTrue(wrong.body().path("error").path("message").asText().startsWith("documents[1] must be"),
                wrong.raw());

        Http.Response topN = http.post("/v1/rerank", request("q", "a").put("top_n", 0));
        assertEquals(400, topN.status());
        assertTrue(topN.body().path("error").path("message").asText().startsWith("top_n must be"));

        Http.Response embeddings = http.post("/v1/embeddings", Http.JSON.createObjectNode().put("input", "x"));
        assertEquals(501, embeddings.status(), "a reranker serves reranking only");
        assertEquals(405, http.get("/v1/rerank").status());
    }
}
