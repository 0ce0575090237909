package dev.gpufleet.worker.api;

import dev.gpufleet.localstack.testing.WithTestKafka;
import dev.gpufleet.worker.TempDataDirResource;
import dev.gpufleet.worker.testing.StandInBackendResource;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.gpufleet.localstack.testing.TestClusterToken.TOKEN;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * docs/api.md's worker-agent table lists exactly the operations of the agent's OpenAPI document. The packaged agent
 * has no /q/openapi (SmallRye OpenAPI costs it ~4 MB RSS, bench/README.md), so this test, with the extension on the
 * test classpath only, does for the agent what the e2e module's check does for the other services.
 */
@QuarkusTest
@WithTestKafka
@WithTestResource(value = TempDataDirResource.class, scope = TestResourceScope.GLOBAL, parallel = true)
@WithTestResource(value = StandInBackendResource.class, scope = TestResourceScope.GLOBAL, parallel = true)
class ApiReferenceDocTest {
    private static final List<String> METHODS = List.of("get", "put", "post", "delete", "patch", "head", "options");
    private static final Pattern SECTION = Pattern.compile(
            "(?s)<!-- api:worker-agent:begin -->(.*?)<!-- api:worker-agent:end -->");
    private static final Pattern ROW = Pattern.compile("(?m)^\\|\\s*`([A-Z]+)`\\s*\\|\\s*`([^`]+)`\\s*\\|");

    @Test
    void docsApiMdListsExactlyTheAgentsOperations() throws Exception {
        JsonPath openApi = given().auth().oauth2(TOKEN).get("/q/openapi?format=json").then()
                .statusCode(200).extract().jsonPath();
        Set<String> served = new TreeSet<>();
        Map<String, Map<String, Object>> paths = openApi.getMap("paths");
        paths.forEach((path, operations) -> operations.keySet().stream().filter(METHODS::contains)
                .forEach(method -> served.add(method.toUpperCase() + " " + path)));
        assertFalse(served.isEmpty(), "the OpenAPI document lists no operation");

        String markdown = Files.readString(Path.of(System.getProperty("gpufleet.root", "..")).resolve("docs/api.md"));
        Matcher section = SECTION.matcher(markdown);
        assertEquals(true, section.find(), "docs/api.md has no worker-agent section");
        Set<String> documented = new TreeSet<>();
        Matcher row = ROW.matcher(section.group(1));
        while (row.find()) {
            documented.add(row.group(1) + " " + row.group(2));
        }
        assertEquals(served, documented, "docs/api.md's worker-agent table and the agent's OpenAPI document differ");
    }
}
