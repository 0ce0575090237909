package dev.gpufleet.registry.models;

import dev.gpufleet.events.ModelAnalysis;
import dev.gpufleet.events.ModelChanged;
import dev.gpufleet.events.ResourceEstimate;
import dev.gpufleet.localstack.testing.WithTestKafkaAndPostgres;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.gpufleet.demomodel.DemoModel;
import dev.gpufleet.demomodel.Preset;
import dev.gpufleet.registry.analysis.GgufEstimate;
import dev.gpufleet.registry.gguf.GgufAnalyzer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static dev.gpufleet.registry.models.ModelsApiTest.MODELS;
import static dev.gpufleet.registry.models.ModelsApiTest.api;
import static dev.gpufleet.registry.models.ModelsApiTest.unique;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The estimate from a local GGUF file's header: in the API response and in ModelChanged, recomputed on every write. */
@QuarkusTest
@WithTestKafkaAndPostgres
class ModelEstimateTest {
    @TempDir
    Path dir;

    static String localModel(String name, Path path) {
        return "{\"name\":\"" + name + "\",\"source\":{\"type\":\"local_path\",\"path\":\"" + path + "\"}}";
    }

    @Test
    void aReadableGgufFileIsEstimatedAndEveryChangeRecomputesIt() throws Exception {
        Path file = dir.resolve("tiny.gguf");
        DemoModel.write(Preset.TINY, 9, file);
        ResourceEstimate expected = GgufEstimate.of(GgufAnalyzer.analyze(file), List.of()).estimate();
        String name = unique("local");
        String id = api().body(localModel(name, file)).post(MODELS).then().statusCode(201)
                .body("analysis.state", equalTo("ANALYZED"))
                .body("analysis.message", startsWith("llama, 129.2 K parameters, F32, 2 layers, trained context 256;"
                        + " at context 8192 with 4 slots:"))
                .body("estimate.ram_bytes", equalTo((int) expected.ramBytes()))
                .body("estimate.vram_bytes", equalTo((int) expected.vramBytes()))
                .body("analysis.facts.architecture", equalTo("llama"))
                .body("analysis.facts.layers", equalTo(2))
                .body("analysis.facts.context_length", equalTo(256))
                .extract().path("id");
        api().get(MODELS + "/" + id).then().statusCode(200)
                .body("estimate.ram_bytes", equalTo((int) expected.ramBytes()));

        Path gone = dir.resolve("gone.gguf");
        api().body(localModel(name, gone)).put(MODELS + "/" + id).then().statusCode(200)
                .body("analysis.state", equalTo("FAILED"))
                .body("analysis.message", equalTo("cannot read " + gone + ": no such file or directory"))
                .body("estimate", nullValue())
                .body("revision", equalTo(2));

        api().body(ModelsApiTest.ggufModel(name)).put(MODELS + "/" + id).then().statusCode(200)
                .body("analysis.state", equalTo("PENDING"))
                .body("estimate", nullValue());

        try (ModelsTopic topic = new ModelsTopic()) {
            List<ModelsTopic.Message> mine = topic.awaitFor(Set.of(id), m -> m.size() >= 3);
            ModelChanged first = assertInstanceOf(ModelChanged.class, mine.get(0).event().payload());
            assertEquals(expected, first.estimate());
            assertEquals(2, first.estimate().sizing().layered().layers(), "the per-layer sizing travels along");
            assertEquals(ModelAnalysis.State.ANALYZED, first.analysis().state());
            assertEquals(2, first.analysis().facts().layers());
            ModelChanged second = assertInstanceOf(ModelChanged.class, mine.get(1).event().payload());
            assertNull(second.estimate());
            assertEquals(ModelAnalysis.State.FAILED, second.analysis().state());
            ModelChanged third = assertInstanceOf(ModelChanged.class, mine.get(2).event().payload());
            assertNull(third.estimate());
            assertEquals(ModelAnalysis.State.PENDING, third.analysis().state());
        }
    }

    @Test
    void aFileThatIsNotGgufFailsTheAnalysisSayingWhy() throws IOException {
        Path zeros = Files.write(dir.resolve("zeros.gguf"), new byte[1 << 20]);
        api().body(localModel(unique("zeros"), zeros)).post(MODELS).then().statusCode(201)
                .body("analysis.state", equalTo("FAILED"))
                .body("analysis.message", startsWith(zeros + " is not a valid GGUF file"))
                .body("analysis.message", org.hamcrest.Matchers.containsString("magic"))
                .body("estimate", nullValue());
    }

    @Test
    void aMissingFileStillRegistersTheModelAndSaysWhy() {
        Path gone = dir.resolve("never-there.gguf");
        String id = api().body(localModel(unique("missing"), gone)).post(MODELS).then().statusCode(201)
                .body("analysis.state", equalTo("FAILED"))
                .body("analysis.message", equalTo("cannot read " + gone + ": no such file or directory"))
                .body("estimate", nullValue())
                .extract().path("id");
        api().get(MODELS + "/" + id).then().statusCode(200).body("analysis.state", equalTo("FAILED"));
    }
}
