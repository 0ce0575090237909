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
    static final Map<String, Set<String>> BROUGHT_BY_OPERATOR = Map.ofEntries(
            Map.entry("my-cluster-token", Set.of("token")),
            Map.entry("my-backend-key-secret", Set.of("secret")),
            Map.entry("my-metrics-token", Set.of("token")),
            Map.entry("my-admin-api-key", Set.<String>of()),
            Map.entry("my-hub-tokens", Set.<String>of()),
            Map.entry("kafka-login-registry", Set.of("sasl.jaas.config")),
            Map.entry("kafka-login-scheduler", Set.of("sasl.jaas.config")),
            Map.entry("kafka-login-gateway", Set.of("sasl.jaas.config")),
            Map.entry("kafka-login-agent", Set.of("sasl.jaas.config")),
            Map.entry("db-login-registry", Set.of("username", "password")),
            Map.entry("db-login-scheduler", Set.of("username", "password")),
            Map.entry("db-login-gateway", Set.of("username", "password")),
            Map.entry("registry-login", Set.<String>of()));

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

    /**
     * Traces and JSON logs follow the observability values: off in the defaults (no setting at all, so the
     * services' own default, off, holds), on in the production values for every gpufleet container.
     */
    @Test
    void tracingAndJsonLogsFollowTheObservabilityValues() {
        for (String values : List.of("defaults", "production")) {
            boolean on = values.equals("production");
            int components = 0;
            for (ObjectNode object : rendered(values)) {
                for (var container : object.path("spec").path("template").path("spec").path("containers")) {
                    Map<String, String> env = new java.util.HashMap<>();
                    container.path("env").forEach(e -> env.put(e.path("name").asText(), e.path("value").asText()));
                    if (!env.containsKey("QUARKUS_MANAGEMENT_PORT")) {
                        continue; // not a gpufleet component (Kafka, PostgreSQL are the operators')
                    }
                    components++;
                    String where = values + ": " + object.path("metadata").path("name").asText();
                    assertEquals(on ? "false" : null, env.get("QUARKUS_OTEL_SDK_DISABLED"), where);
                    assertEquals(on ? "http://otel-collector.monitoring:4317" : null,
                            env.get("QUARKUS_OTEL_EXPORTER_OTLP_ENDPOINT"), where);
                    assertEquals(on ? "true" : null, env.get("QUARKUS_LOG_CONSOLE_JSON_ENABLED"), where);
                }
            }
            assertTrue(components >= 4, values + ": the services and the agents, found " + components);
        }
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
    void productionEncryptsKafkaAndPostgresTrafficAndTheDefaultsDoNot() {
        assertEquals(List.of(), ManifestChecks.unencryptedTransport(rendered("production")));
        List<String> defaults = ManifestChecks.unencryptedTransport(rendered("defaults"));
        assertTrue(defaults.stream().anyMatch(p -> p.contains("KAFKA_SECURITY_PROTOCOL is SASL_PLAINTEXT")),
                defaults.toString());
        assertTrue(defaults.stream().anyMatch(p -> p.contains("listener scram without TLS")), defaults.toString());
        assertTrue(defaults.stream().anyMatch(p -> p.contains("not verify-full")), defaults.toString());
    }

    @Test
    void productionTrustsTheOperatorsCertificateAuthoritiesWhereTheClientsLookForThem() {
        List<ObjectNode> objects = rendered("production");
        var config = CrossReferences.ofKind(objects, "ConfigMap").stream()
                .filter(c -> c.path("metadata").path("name").asText().equals("gpufleet-config")).findFirst()
                .orElseThrow().path("data");
        assertEquals("gpufleet-kafka-bootstrap:9093", config.path("KAFKA_BOOTSTRAP_SERVERS").asText());
        assertEquals("/etc/gpufleet/kafka-ca/ca.crt", config.path("KAFKA_SSL_TRUSTSTORE_LOCATION").asText());
        assertEquals("/etc/gpufleet/postgres-ca/ca.crt",
                config.path("QUARKUS_DATASOURCE_REACTIVE_TRUST_CERTIFICATE_PEM_CERTS").asText());
        List<ObjectNode> workloads = new java.util.ArrayList<>(CrossReferences.ofKind(objects, "Deployment"));
        workloads.addAll(CrossReferences.ofKind(objects, "DaemonSet"));
        for (ObjectNode w : workloads) {
            var pod = w.path("spec").path("template").path("spec");
            java.util.Map<String, String> secretOfVolume = new java.util.HashMap<>();
            pod.path("volumes").forEach(v -> secretOfVolume.put(v.path("name").asText(),
                    v.path("secret").path("secretName").asText()));
            for (var container : pod.path("containers")) {
                java.util.Map<String, String> mounted = new java.util.HashMap<>();
                container.path("volumeMounts").forEach(m -> mounted.put(m.path("mountPath").asText(),
                        secretOfVolume.get(m.path("name").asText())));
                String name = Kustomize.id(w) + "/" + container.path("name").asText();
                assertEquals("gpufleet-cluster-ca-cert", mounted.get("/etc/gpufleet/kafka-ca"), name);
                if (!w.path("kind").asText().equals("DaemonSet")) {
                    assertEquals("gpufleet-pg-ca", mounted.get("/etc/gpufleet/postgres-ca"), name);
                }
            }
        }
        assertTrue(workloads.size() >= 4, "the services and the agents: " + workloads.size());
    }

    @ParameterizedTest
    @ValueSource(strings = {"defaults", "production"})
    void eachGatewayAdmitsItsShareOfAnInstancesSlots(String values) {
        ObjectNode gateway = CrossReferences.ofKind(rendered(values), "Deployment").stream()
                .filter(d -> d.path("metadata").path("name").asText().equals("gateway")).findFirst().orElseThrow();
        String replicas = gateway.path("spec").path("replicas").asText();
        String gateways = null;
        for (var e : gateway.path("spec").path("template").path("spec").path("containers").path(0).path("env")) {
            if (e.path("name").asText().equals("GPUFLEET_GATEWAY_ADMISSION_GATEWAYS")) {
                gateways = e.path("value").asText();
            }
        }
        assertEquals(replicas, gateways, "the gateways share the slots among as many as run");
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
        assertEquals(List.of("gpufleet-admin-api-key", "gpufleet-backend-key-secret", "gpufleet-cluster-token",
                "gpufleet-db-gateway", "gpufleet-db-registry", "gpufleet-db-scheduler", "gpufleet-hub-tokens",
                "gpufleet-metrics-token"), generated);
    }

    /**
     * One credential per purpose (docs/security.md): the metrics token and management port on every workload, the
     * backend-key secret on the gateway and the agents only, the first admin's key on the gateway only, the monitors
     * scraping the management port with the metrics token, and only the monitoring namespace let in to it.
     */
    @ParameterizedTest
    @ValueSource(strings = {"defaults", "byo"})
    void eachCredentialGoesWhereItsPurposeIs(String values) {
        List<ObjectNode> objects = rendered(values);
        String port = values.equals("byo") ? "metrics" : "management";
        List<ObjectNode> workloads = new ArrayList<>(CrossReferences.ofKind(objects, "Deployment"));
        workloads.addAll(CrossReferences.ofKind(objects, "DaemonSet"));
        assertEquals(values.equals("byo") ? 7 : 4, workloads.size());
        for (ObjectNode w : workloads) {
            String name = w.path("metadata").path("name").asText();
            com.fasterxml.jackson.databind.JsonNode c = w.path("spec").path("template").path("spec")
                    .path("containers").path(0);
            Map<String, com.fasterxml.jackson.databind.JsonNode> env = new java.util.HashMap<>();
            c.path("env").forEach(e -> env.put(e.path("name").asText(), e));
            boolean gateway = name.equals("gateway");
            boolean agent = name.startsWith("worker-agent-");
            assertEquals(gateway || agent, env.containsKey("GPUFLEET_BACKEND_KEY_SECRET"), name);
            assertEquals(gateway || agent, env.containsKey("GPUFLEET_BACKEND_KEY_SECRET_PREVIOUS")
                    && env.get("GPUFLEET_BACKEND_KEY_SECRET_PREVIOUS").path("valueFrom").path("secretKeyRef")
                    .path("optional").asBoolean(), name + ": the previous backend-key secret, optional");
            assertEquals(gateway, env.containsKey("GPUFLEET_GATEWAY_ADMIN_API_KEY"), name);
            for (String required : List.of("GPUFLEET_CLUSTER_TOKEN", "GPUFLEET_METRICS_TOKEN")) {
                assertTrue(env.containsKey(required), name + " lacks " + required);
                assertFalse(env.get(required).path("valueFrom").path("secretKeyRef").path("optional").asBoolean(),
                        name + ": " + required);
            }
            String metricsSecret = env.get("GPUFLEET_METRICS_TOKEN").path("valueFrom").path("secretKeyRef")
                    .path("name").asText();
            assertFalse(metricsSecret.equals(env.get("GPUFLEET_CLUSTER_TOKEN").path("valueFrom")
                    .path("secretKeyRef").path("name").asText()), name + ": one Secret for two purposes");
            String managementPort = env.get("QUARKUS_MANAGEMENT_PORT").path("value").asText();
            assertTrue(java.util.stream.StreamSupport.stream(c.path("ports").spliterator(), false)
                    .anyMatch(p -> p.path("name").asText().equals(port)
                            && p.path("containerPort").asText().equals(managementPort)),
                    name + ": no container port " + port + " = QUARKUS_MANAGEMENT_PORT " + managementPort);
        }
        for (ObjectNode monitor : CrossReferences.ofKind(objects, "ServiceMonitor")) {
            assertScrapes(monitor.path("spec").path("endpoints").path(0), port,
                    values.equals("byo") ? "my-metrics-token" : "gpufleet-metrics-token");
        }
        for (ObjectNode monitor : CrossReferences.ofKind(objects, "PodMonitor")) {
            assertScrapes(monitor.path("spec").path("podMetricsEndpoints").path(0), port,
                    values.equals("byo") ? "my-metrics-token" : "gpufleet-metrics-token");
        }
        String agentPort = values.equals("byo") ? "10161" : "10151";
        for (ObjectNode policy : CrossReferences.ofKind(objects, "NetworkPolicy")) {
            for (com.fasterxml.jackson.databind.JsonNode rule : policy.path("spec").path("ingress")) {
                boolean fromMonitoring = rule.path("from").size() == 1 && rule.path("from").path(0)
                        .path("namespaceSelector").path("matchLabels").path("kubernetes.io/metadata.name")
                        .asText().equals("monitoring");
                for (com.fasterxml.jackson.databind.JsonNode p : rule.path("ports")) {
                    if (p.path("port").asText().equals(port) || p.path("port").asText().equals(agentPort)) {
                        assertTrue(fromMonitoring, Kustomize.id(policy) + " lets others than Prometheus in to "
                                + p.path("port").asText());
                    }
                }
            }
        }
    }

    private static void assertScrapes(com.fasterxml.jackson.databind.JsonNode endpoint, String port, String secret) {
        assertEquals(port, endpoint.path("port").asText());
        assertEquals("/q/metrics", endpoint.path("path").asText());
        assertEquals(secret, endpoint.path("authorization").path("credentials").path("name").asText());
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
