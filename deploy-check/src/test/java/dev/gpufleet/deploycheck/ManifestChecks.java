package dev.gpufleet.deploycheck;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gpufleet.events.Topics;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * What a rendered set of objects must satisfy: used on the Helm chart's renderings (ChartTest) and on the kustomize
 * fixture tree under src/test/resources/fixture-tree, a known-good stand-in that shows the checks pass on correct
 * input.
 */
final class ManifestChecks {
    static final SchemaCatalog SCHEMAS = new SchemaCatalog();

    private ManifestChecks() {
    }

    static List<ObjectNode> render(Path root, String overlay) {
        Path dir = root.resolve("overlays").resolve(overlay);
        if (!Files.isDirectory(dir)) {
            fail(dir.toAbsolutePath().normalize() + " does not exist");
        }
        return Kustomize.render(dir);
    }

    /** Schema problems and cross-reference problems of one rendered overlay, each naming the object. */
    static List<String> problems(List<ObjectNode> objects) {
        List<String> problems = new ArrayList<>();
        for (ObjectNode o : objects) {
            problems.addAll(SCHEMAS.validate(o));
        }
        problems.addAll(CrossReferences.check(objects));
        problems.addAll(CrossReferences.checkTopics(objects, Topics.ALL, Topics.COMPACTED));
        return problems;
    }

    static void assertClean(String overlay, List<ObjectNode> objects) {
        List<String> problems = problems(objects);
        assertTrue(problems.isEmpty(), overlay + " has " + problems.size() + " problem(s):\n  "
                + String.join("\n  ", problems));
    }

    /** Production: 2 gateways and 2 schedulers, each covered by a PodDisruptionBudget. */
    static List<String> productionProblems(List<ObjectNode> objects) {
        List<String> problems = new ArrayList<>();
        for (String service : List.of("gateway", "scheduler")) {
            List<ObjectNode> deployments = CrossReferences.ofKind(objects, "Deployment").stream()
                    .filter(d -> d.path("metadata").path("name").asText().contains(service)).toList();
            if (deployments.size() != 1) {
                problems.add("expected one Deployment named like '" + service + "', found "
                        + deployments.stream().map(Kustomize::id).toList());
                continue;
            }
            ObjectNode d = deployments.get(0);
            if (d.path("spec").path("replicas").asInt(1) != 2) {
                problems.add(Kustomize.id(d) + ": production runs 2 replicas, not "
                        + d.path("spec").path("replicas").asInt(1));
            }
            JsonNode podLabels = d.path("spec").path("template").path("metadata").path("labels");
            java.util.Map<String, String> labels = new java.util.LinkedHashMap<>();
            podLabels.fields().forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
            boolean covered = CrossReferences.ofKind(objects, "PodDisruptionBudget").stream()
                    .anyMatch(p -> CrossReferences.ns(p).equals(CrossReferences.ns(d))
                            && CrossReferences.Selectors.matches(p.path("spec").path("selector"), labels));
            if (!covered) {
                problems.add(Kustomize.id(d) + ": no PodDisruptionBudget selects its pods");
            }
        }
        return problems;
    }

    /** Kafka and PostgreSQL traffic in clear, or TLS without checking whom it talks to. */
    static List<String> unencryptedTransport(List<ObjectNode> objects) {
        List<String> problems = new ArrayList<>();
        JsonNode config = CrossReferences.ofKind(objects, "ConfigMap").stream()
                .filter(c -> c.path("metadata").path("name").asText().equals("gpufleet-config"))
                .findFirst().map(c -> c.path("data")).orElse(null);
        if (config == null) {
            return List.of("no ConfigMap gpufleet-config");
        }
        String protocol = config.path("KAFKA_SECURITY_PROTOCOL").asText();
        if (!protocol.equals("SASL_SSL") && !protocol.equals("SSL")) {
            problems.add("gpufleet-config: KAFKA_SECURITY_PROTOCOL is " + protocol + ", not SASL_SSL or SSL");
        }
        for (ObjectNode kafka : CrossReferences.ofKind(objects, "Kafka")) {
            for (JsonNode listener : kafka.path("spec").path("kafka").path("listeners")) {
                if (!listener.path("tls").asBoolean(false)) {
                    problems.add(Kustomize.id(kafka) + ": listener " + listener.path("name").asText() + " without TLS");
                }
            }
        }
        if (!config.path("QUARKUS_DATASOURCE_REACTIVE_POSTGRESQL_SSL_MODE").asText().equals("verify-full")) {
            problems.add("gpufleet-config: QUARKUS_DATASOURCE_REACTIVE_POSTGRESQL_SSL_MODE is not verify-full");
        }
        if (!config.path("QUARKUS_DATASOURCE_JDBC_URL").asText().contains("sslmode=verify-full")) {
            problems.add("gpufleet-config: QUARKUS_DATASOURCE_JDBC_URL without sslmode=verify-full");
        }
        return problems;
    }
}
