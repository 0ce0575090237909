package dev.gpufleet.gateway.console;

import dev.gpufleet.localstack.testing.WithTestKafkaAndPostgres;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The console's page and assets come without a key, with their cache headers; nothing else opens with them. */
@QuarkusTest
@WithTestKafkaAndPostgres
class ConsoleRoutesTest {

    private static String version() {
        String page = given().get("/").then().statusCode(200).extract().asString();
        Matcher m = Pattern.compile("/console/([0-9a-f]{12})/app\\.js").matcher(page);
        assertTrue(m.find(), page);
        return m.group(1);
    }

    @Test
    void thePageIsServedWithoutAKeyAndCheckedAgainOnEveryLoad() {
        Response page = given().get("/");
        page.then().statusCode(200)
                .header("Content-Type", startsWith("text/html"))
                .header("Cache-Control", equalTo("no-cache"))
                .header("Content-Security-Policy", containsString("script-src 'self'"))
                .header("Content-Security-Policy", containsString("connect-src 'self'"))
                .header("X-Content-Type-Options", equalTo("nosniff"))
                .body(containsString("<div id=\"app\">"));
        String etag = page.header("ETag");
        given().header("If-None-Match", etag).get("/").then().statusCode(304);
        given().header("If-None-Match", "\"old\"").get("/").then().statusCode(200);
    }

    @Test
    void assetsOfTheCurrentVersionAreKeptForGood() {
        String version = version();
        given().get("/console/" + version + "/app.js").then().statusCode(200)
                .header("Content-Type", equalTo("text/javascript; charset=utf-8"))
                .header("Cache-Control", equalTo(ConsoleRoutes.IMMUTABLE))
                .body(containsString("/api/v1/me"));
        given().get("/console/" + version + "/pages/models.js").then().statusCode(200)
                .body(containsString("/api/v1/model-evaluations"));
        given().get("/console/" + version + "/console.css").then().statusCode(200)
                .header("Content-Type", startsWith("text/css"));
        // a page loaded before an upgrade asks for its version: today's file, not to be kept
        given().get("/console/000000000000/app.js").then().statusCode(200).header("Cache-Control", equalTo("no-store"));
        given().get("/console/" + version + "/nothing.js").then().statusCode(404);
        given().get("/console/" + version + "/files.txt").then().statusCode(404);
        given().get("/console/" + version + "/index.html").then().statusCode(404);
    }

    @Test
    void theConsolesPathsOpenNothingElse() {
        given().get("/console/" + version() + "/../../api/v1/users").then().statusCode(401);
        given().get("/index.html").then().statusCode(401);
        given().get("/api/v1/me").then().statusCode(401);
        given().get("/api/v1/usage").then().statusCode(401);
        given().get("/v1/models").then().statusCode(401);
    }
}
