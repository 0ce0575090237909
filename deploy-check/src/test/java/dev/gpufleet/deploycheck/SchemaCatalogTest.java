package dev.gpufleet.deploycheck;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A misspelt or misplaced field fails validation, in core kinds and in CRDs, and names the field. */
class SchemaCatalogTest {
    static ObjectNode object(String kind, String name) {
        return FixtureTreeTest.production().stream()
                .filter(o -> o.path("kind").asText().equals(kind) && o.path("metadata").path("name").asText().equals(name))
                .findFirst().orElseThrow().deepCopy();
    }

    @ParameterizedTest(name = "{0} {1}: {2}")
    @CsvSource(delimiter = '|', value = {
            "Deployment|gateway|spec.replcas|replcas",
            "Deployment|gateway|spec.template.spec.containers.0.imagePullPolicyy|imagePullPolicyy",
            "Deployment|gateway|metadata.lables|lables",
            "Service|gateway|spec.selectr|selectr",
            "KafkaTopic|gpufleet.models|spec.partitons|partitons",
            "KafkaTopic|gpufleet.models|spc|spc",
            "KafkaTopic|gpufleet.models|metadata.nmae|nmae",
            "Kafka|gpufleet|spec.kafka.listners|listners",
            "Cluster|gpufleet-pg|spec.instancs|instancs",
            "ServiceMonitor|gpufleet-services|spec.endpoint|endpoint",
    })
    void aMisspeltFieldFails(String kind, String name, String path, String field) {
        ObjectNode o = object(kind, name);
        assertTrue(ManifestChecks.SCHEMAS.validate(o).isEmpty(), "the unchanged object must be valid");
        set(o, path);
        List<String> problems = ManifestChecks.SCHEMAS.validate(o);
        assertTrue(problems.stream().anyMatch(p -> p.contains(field)), problems.toString());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "replicas as a string|Deployment|gateway|/spec|replicas|\"two\"",
            "minAvailable as a boolean|PodDisruptionBudget|gateway|/spec|minAvailable|true",
            "partitions below 1|KafkaTopic|gpufleet.models|/spec|partitions|0",
    })
    void aWrongValueFails(String what, String kind, String name, String parent, String field, String json)
            throws Exception {
        ObjectNode o = object(kind, name);
        ((ObjectNode) o.at(parent)).set(field, new ObjectMapper().readTree(json));
        assertFalse(ManifestChecks.SCHEMAS.validate(o).isEmpty(), what + " must fail");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "example.com/v1|Widget",
            "apps/v1|Deploymnet",
    })
    void anUnknownKindFailsNamingIt(String apiVersion, String kind) {
        ObjectNode o = object("ConfigMap", "gpufleet-config");
        o.put("apiVersion", apiVersion).put("kind", kind);
        List<String> problems = ManifestChecks.SCHEMAS.validate(o);
        assertTrue(problems.size() == 1 && problems.get(0).contains("no schema for kind " + kind), problems.toString());
    }

    private static void set(ObjectNode o, String path) {
        String[] parts = path.split("\\.");
        var n = (com.fasterxml.jackson.databind.JsonNode) o;
        for (int i = 0; i < parts.length - 1; i++) {
            n = parts[i].matches("\\d+") ? n.get(Integer.parseInt(parts[i])) : n.get(parts[i]);
        }
        ((ObjectNode) n).put(parts[parts.length - 1], 1);
    }
}
