package dev.gpufleet.deploycheck;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import dev.gpufleet.events.Topics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The chart deploy/helm/gpufleet, rendered by the Helm engine with each values file an operator starts from:
 * every object valid for its kind's schema (Kubernetes 1.30, Strimzi v1, CloudNativePG, Prometheus operator),
 * the cross-references holding, and the project's rules (ChartRules). A missing chart fails.
 */
class ChartTest {
    /** Values files by name: "defaults" is the chart alone. */
    static final Map<String, List<String>> VALUES = Map.of(
            "defaults", List.of(),
            "production", List.of("values-production.yaml"),
            "byo", List.of("values-byo.yaml"));

    /**
     * Secrets values-byo.yaml names that the operator brings (so the chart does not render them), with the keys the
     * chart reads from each.
     */
    static final Map<String, Set<String>> BROUGHT_BY_OPERATOR = Map.of(
            "my-cluster-token", Set.of("token"),
            "my-hub-tokens", Set.of(),
            "kafka-login-registry", Set.of("sasl.jaas.config"),
            "kafka-login-scheduler", Set.of("sasl.jaas.config"),
            "kafka-login-gateway", Set.of("sasl.jaas.config"),
            "kafka-login-agent", Set.of("sasl.jaas.config"),
            "db-login-registry", Set.of("username", "password"),
            "db-login-scheduler", Set.of("username", "password"),
            "db-login-gateway", Set.of("username", "password"),
            "registry-login", Set.of());

    private static final Map<String, List<ObjectNode>> RENDERED = new ConcurrentHashMap<>();

    static List<ObjectNode> rendered(String values) {
        return RENDERED.computeIfAbsent(values, v -> HelmChart.install(HelmChart.CHART, VALUES.get(v)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"defaults", "production", "byo"})
    void rendersValidObjects(String values) {
        List<ObjectNode> objects = new ArrayList<>(rendered(values));
        assertFalse(objects.isEmpty(), values + " renders no objects");
        if (values.equals("byo")) {
            BROUGHT_BY_OPERATOR.forEach((name, keys) -> objects.add(secret(name, keys)));
        }
        List<String> problems = new ArrayList<>();
        for (ObjectNode o : objects) {
            problems.addAll(ManifestChecks.SCHEMAS.validate(o));
        }
        problems.addAll(CrossReferences.check(objects));
        if (!CrossReferences.ofKind(objects, "Kafka").isEmpty()) {
            problems.addAll(CrossReferences.checkTopics(objects, Topics.ALL, Topics.COMPACTED));
        }
        problems.addAll(ChartRules.problems(objects));
        assertTrue(problems.isEmpty(), values + " has " + problems.size() + " problem(s):\n  "
                + String.join("\n  ", problems));
    }

    @Test
    void everyObjectIsInTheReleaseNamespace() {
        for (String values : VALUES.keySet()) {
            for (ObjectNode o : rendered(values)) {
                assertEquals(HelmChart.NAMESPACE, CrossReferences.ns(o), values + ": " + Kustomize.id(o));
            }
        }
    }

    @Test
    void productionIsHighlyAvailableAndTheDefaultsAreNot() {
        assertEquals(List.of(), ManifestChecks.productionProblems(rendered("production")));
        List<String> defaults = ManifestChecks.productionProblems(rendered("defaults"));
        assertTrue(defaults.stream().anyMatch(p -> p.contains("2 replicas")), defaults.toString());
        assertTrue(defaults.stream().anyMatch(p -> p.contains("no PodDisruptionBudget")), defaults.toString());
    }

    @Test
    void productionRunsThreeKafkaNodesAndThreePostgresInstances() {
        List<ObjectNode> objects = rendered("production");
        ObjectNode pool = CrossReferences.ofKind(objects, "KafkaNodePool").get(0);
        assertEquals(3, pool.path("spec").path("replicas").asInt());
        ObjectNode kafka = CrossReferences.ofKind(objects, "Kafka").get(0);
        assertEquals(3, kafka.path("spec").path("kafka").path("config").path("default.replication.factor").asInt());
        assertEquals(2, kafka.path("spec").path("kafka").path("config").path("min.insync.replicas").asInt());
        assertEquals(3, CrossReferences.ofKind(objects, "Cluster").get(0).path("spec").path("instances").asInt());
    }

    @Test
    void bringingYourOwnKafkaAndPostgresRendersNeither() {
        List<ObjectNode> objects = rendered("byo");
        for (String kind : List.of("Kafka", "KafkaNodePool", "KafkaTopic", "KafkaUser", "Cluster")) {
            assertEquals(List.of(), CrossReferences.ofKind(objects, kind), kind);
        }
        for (String kind : List.of("nvidia", "ascend", "amd", "cpu")) {
            assertEquals(1, CrossReferences.ofKind(objects, "DaemonSet").stream()
                    .filter(d -> d.path("metadata").path("name").asText().equals("worker-agent-" + kind)).count(),
                    kind);
        }
    }

    @Test
    void generatedSecretsAreMadeOnceAtInstall() {
        assertEquals(List.of(), CrossReferences.ofKind(HelmChart.render(HelmChart.CHART, List.of()), "Secret"),
                "generated Secrets must be pre-install hooks (template leaves hooks out), or every upgrade would "
                        + "replace the passwords and the cluster token");
        List<String> generated = CrossReferences.ofKind(rendered("defaults"), "Secret").stream()
                .map(s -> s.path("metadata").path("name").asText()).sorted().toList();
        assertEquals(List.of("gpufleet-cluster-token", "gpufleet-db-gateway", "gpufleet-db-registry",
                "gpufleet-db-scheduler", "gpufleet-hub-tokens"), generated);
    }

    @Test
    void lintPassesStrictly() {
        LintResult result = new Helm(HelmChart.CHART).lint().strict().call();
        assertFalse(result.isFailed(), String.join("\n", result.getMessages()));
    }

    /** A value is documented by a row of the README's table, itself or a map above it (e.g. kafka.resources). */
    @Test
    void everyValueIsInTheReadmesTable() throws java.io.IOException {
        String readme = java.nio.file.Files.readString(HelmChart.CHART.resolve("README.md"));
        Set<String> rows = new java.util.TreeSet<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^\\| `([^`]+)` \\|").matcher(readme);
        while (m.find()) {
            rows.add(m.group(1));
        }
        List<String> missing = new ArrayList<>();
        undocumented("", Kustomize.YAML.readTree(HelmChart.CHART.resolve("values.yaml").toFile()), rows, missing);
        assertEquals(List.of(), missing, "values without a row in deploy/helm/gpufleet/README.md");
    }

    private static void undocumented(String path, com.fasterxml.jackson.databind.JsonNode node, Set<String> rows,
                                     List<String> missing) {
        if (!path.isEmpty() && rows.contains(path)) {
            return;
        }
        if (node.isObject() && node.size() > 0) {
            node.fields().forEachRemaining(e -> undocumented(path.isEmpty() ? e.getKey() : path + "." + e.getKey(),
                    e.getValue(), rows, missing));
        } else {
            missing.add(path);
        }
    }

    @Test
    void aMissingChartFailsNamingIt() {
        FixtureTreeTest.AssertionErrorHolder.expect(
                () -> HelmChart.render(java.nio.file.Path.of("no-such-chart"), List.of()), "does not exist");
    }

    private static ObjectNode secret(String name, Set<String> keys) {
        ObjectNode s = Kustomize.YAML.createObjectNode();
        s.put("apiVersion", "v1").put("kind", "Secret");
        s.putObject("metadata").put("name", name).put("namespace", HelmChart.NAMESPACE);
        ObjectNode data = s.putObject("data");
        keys.forEach(k -> data.put(k, "dmFsdWU="));
        return s;
    }
}
