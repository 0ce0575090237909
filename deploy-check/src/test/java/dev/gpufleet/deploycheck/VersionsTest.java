package dev.gpufleet.deploycheck;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One list of versions: the root pom's properties (passed in by surefire). The chart's values and what it renders,
 * and the table in docs/deploying-on-kubernetes.md, must say the same.
 */
class VersionsTest {
    static final Path DOC = Path.of("..", "docs", "deploying-on-kubernetes.md");

    static String property(String name) {
        String v = System.getProperty(name);
        assertTrue(v != null && !v.isBlank() && !v.startsWith("${"), name + " is not passed in by the build: " + v);
        return v;
    }

    static String postgresMajor() {
        return property("gpufleet.postgres.binaries.version").split("\\.")[0];
    }

    @Test
    void theChartRunsTheBuildsVersions() throws IOException {
        JsonNode values = Kustomize.YAML.readTree(HelmChart.CHART.resolve("values.yaml").toFile());
        assertEquals(property("gpufleet.kafka.version"), values.path("kafka").path("version").asText());
        assertEquals(property("gpufleet.kafka.metadata-version"), values.path("kafka").path("metadataVersion").asText());
        String image = values.path("postgres").path("imageName").asText();
        String tag = image.substring(image.lastIndexOf(':') + 1);
        assertTrue(tag.equals(postgresMajor()) || tag.startsWith(postgresMajor() + "."),
                "postgres.imageName " + image + " must run PostgreSQL " + postgresMajor() + ", the major the tests run");

        List<ObjectNode> objects = ChartTest.rendered("production");
        ObjectNode kafka = CrossReferences.ofKind(objects, "Kafka").get(0);
        assertEquals(property("gpufleet.kafka.version"), kafka.path("spec").path("kafka").path("version").asText());
        assertEquals(image, CrossReferences.ofKind(objects, "Cluster").get(0).path("spec").path("imageName").asText());
    }

    /** Strimzi 1.x serves only kafka.strimzi.io/v1. */
    @Test
    void strimziObjectsUseOnlyTheV1Api() {
        assertTrue(property("gpufleet.strimzi.version").startsWith("1."), "the chart is written for Strimzi 1.x");
        for (ObjectNode o : ChartTest.rendered("production")) {
            String api = o.path("apiVersion").asText();
            if (api.startsWith("kafka.strimzi.io/")) {
                assertEquals("kafka.strimzi.io/v1", api, Kustomize.id(o));
            }
        }
    }

    @Test
    void theDocsTableSaysTheSame() throws IOException {
        Map<String, String> table = new LinkedHashMap<>();
        Matcher row = Pattern.compile("(?m)^\\| ([^|]+?) +\\| `([^`]+)` +\\|").matcher(Files.readString(DOC));
        while (row.find()) {
            table.put(row.group(1).strip(), row.group(2));
        }
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("Strimzi", property("gpufleet.strimzi.version"));
        expected.put("Kafka (Strimzi)", property("gpufleet.kafka.version"));
        expected.put("Kafka metadata version", property("gpufleet.kafka.metadata-version"));
        expected.put("Kafka (embedded, `./gpufleet up` and tests)", property("gpufleet.kafka.version"));
        expected.put("CloudNativePG", property("gpufleet.cloudnative-pg.version"));
        expected.put("PostgreSQL", postgresMajor());
        expected.put("PostgreSQL (embedded, `./gpufleet up` and tests)", property("gpufleet.postgres.binaries.version"));
        expected.forEach((what, version) -> assertEquals(version, table.get(what),
                DOC + ": the versions table's row '" + what + "' (found rows " + table + ")"));
    }
}
