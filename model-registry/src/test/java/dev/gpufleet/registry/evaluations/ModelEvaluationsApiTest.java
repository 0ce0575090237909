package dev.gpufleet.registry.evaluations;

import dev.gpufleet.demomodel.DemoModel;
import dev.gpufleet.demomodel.Preset;
import dev.gpufleet.localstack.testing.WithTestKafkaAndPostgres;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.specification.RequestSpecification;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static dev.gpufleet.localstack.testing.TestClusterToken.TOKEN;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.nullValue;

/**
 * The registry's half of the dry run: validation and analysis, and what it answers when the scheduler cannot be
 * asked (in tests the scheduler URL points nowhere). The full path, scheduler included, is in e2e.
 */
@QuarkusTest
@WithTestKafkaAndPostgres
class ModelEvaluationsApiTest {
    static final String EVALUATIONS = "/api/v1/model-evaluations";

    @TempDir
    Path dir;

    static RequestSpecification api() {
        return given().header("Authorization", "Bearer " + TOKEN).contentType(ContentType.JSON);
    }

    @Test
    void eachSpecGetsItsOwnResultAndNothingIsCreated() throws Exception {
        Path file = dir.resolve("tiny.gguf");
        DemoModel.write(Preset.TINY, 3, file);
        String before = api().get("/api/v1/models").then().statusCode(200).extract().path("pagination.total")
                .toString();

        api().body("""
                {"model_specs": [
                  {"name": "bad name!", "source": {"type": "local_path", "path": "%s"}},
                  {"name": "missing", "source": {"type": "local_path", "path": "%s"}},
                  {"name": "tiny", "source": {"type": "local_path", "path": "%s"}, "backend_parameters": ["-c 512"]}
                ]}""".formatted(file, dir.resolve("absent.gguf"), file))
                .post(EVALUATIONS).then().statusCode(200)
                .body("results", hasSize(3))
                .body("results[0].compatible", equalTo(false))
                .body("results[0].messages[0]", containsString("name"))
                .body("results[0].analysis", nullValue())
                .body("results[1].compatible", equalTo(false))
                .body("results[1].analysis.state", equalTo("FAILED"))
                .body("results[1].messages[0]", containsString("absent.gguf"))
                .body("results[2].analysis.state", equalTo("ANALYZED"))
                .body("results[2].analysis.facts.layers", equalTo(2))
                .body("results[2].estimate.ram_bytes", org.hamcrest.Matchers.greaterThan(0))
                // no scheduler in this test: the answer says so instead of guessing
                .body("results[2].compatible", equalTo(false))
                .body("results[2].messages", hasItem(containsString("cannot be reached")));

        api().get("/api/v1/models").then().statusCode(200).body("pagination.total",
                equalTo(Integer.parseInt(before)));
    }

    @Test
    void aBodyWithoutSpecsIsRefusedNamingTheField() {
        api().body("{}").post(EVALUATIONS).then().statusCode(400)
                .body("code", equalTo(400))
                .body("message", containsString("model_specs"));
        api().body("{\"model_specs\": []}").post(EVALUATIONS).then().statusCode(400);
        given().contentType(ContentType.JSON).body("{}").post(EVALUATIONS).then().statusCode(401);
    }
}
