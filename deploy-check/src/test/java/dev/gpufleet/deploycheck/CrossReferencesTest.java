package dev.gpufleet.deploycheck;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gpufleet.events.Topics;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/** Each broken reference in the (otherwise clean) production stand-in is reported, naming what is wrong. */
class CrossReferencesTest {
    static Stream<Arguments> breakages() {
        return Stream.of(
                arguments("secret that nobody makes", "Deployment", "gateway",
                        (Consumer<ObjectNode>) o -> env(o).get(0).with("valueFrom").with("secretKeyRef")
                                .put("name", "gatewy"), "Secret 'gatewy'"),
                arguments("missing key of an operator secret", "Deployment", "gateway",
                        (Consumer<ObjectNode>) o -> env(o).get(0).with("valueFrom").with("secretKeyRef")
                                .put("key", "passwd"), "key 'passwd'"),
                arguments("missing key of a rendered secret", "Deployment", "scheduler-service",
                        (Consumer<ObjectNode>) o -> env(o).get(1).with("valueFrom").with("secretKeyRef")
                                .put("key", "user"), "key 'user'"),
                arguments("config map that does not exist", "Deployment", "gateway",
                        (Consumer<ObjectNode>) o -> ((ObjectNode) container(o).get("envFrom").get(0)
                                .get("configMapRef")).put("name", "gpufleet-conf"), "ConfigMap 'gpufleet-conf'"),
                arguments("CNPG secret of another cluster", "Deployment", "scheduler-service",
                        (Consumer<ObjectNode>) o -> env(o).get(3).with("valueFrom").with("secretKeyRef")
                                .put("name", "pg-app"), "Secret 'pg-app'"),
                arguments("service account that does not exist", "Deployment", "scheduler-service",
                        (Consumer<ObjectNode>) o -> o.with("spec").with("template").with("spec")
                                .put("serviceAccountName", "scheduler"), "ServiceAccount 'scheduler'"),
                arguments("service selector matching nothing", "Service", "gateway",
                        (Consumer<ObjectNode>) o -> o.with("spec").with("selector")
                                .put("app.kubernetes.io/name", "gateway-x"), "matches no pods"),
                arguments("service targetPort that is no container port", "Service", "gateway",
                        (Consumer<ObjectNode>) o -> ((ObjectNode) o.get("spec").get("ports").get(0))
                                .put("targetPort", "web"), "targetPort 'web'"),
                arguments("network policy selecting nothing", "NetworkPolicy", "scheduler-from-gateway",
                        (Consumer<ObjectNode>) o -> o.with("spec").with("podSelector").with("matchLabels")
                                .put("app.kubernetes.io/name", "schedular"), "spec.podSelector"),
                arguments("network policy peer selecting nothing", "NetworkPolicy", "kafka-from-services",
                        (Consumer<ObjectNode>) o -> ((ObjectNode) o.at("/spec/ingress/0/from/0/podSelector/matchExpressions/0"))
                                .putArray("values").add("gatway"), "spec.ingress[0].from[0].podSelector"),
                arguments("network policy on Kafka pods of another cluster", "NetworkPolicy", "kafka-from-services",
                        (Consumer<ObjectNode>) o -> o.with("spec").with("podSelector").with("matchLabels")
                                .put("strimzi.io/cluster", "kafka"), "spec.podSelector"),
                arguments("service monitor selecting no service", "ServiceMonitor", "gpufleet-services",
                        (Consumer<ObjectNode>) o -> ((ObjectNode) o.at("/spec/selector/matchExpressions/0"))
                                .put("operator", "NotIn").putArray("values").add("gateway").add("scheduler-service"),
                        "matches no Service"),
                arguments("service monitor on a port name the service lacks", "ServiceMonitor", "gpufleet-services",
                        (Consumer<ObjectNode>) o -> ((ObjectNode) o.at("/spec/endpoints/0")).put("port", "metrics"),
                        "endpoint port 'metrics'"),
                arguments("pod monitor on a port the agent lacks", "PodMonitor", "worker-agents",
                        (Consumer<ObjectNode>) o -> ((ObjectNode) o.at("/spec/podMetricsEndpoints/0")).put("port", "http"),
                        "port 'http'"),
                arguments("PDB selecting nothing", "PodDisruptionBudget", "gateway",
                        (Consumer<ObjectNode>) o -> o.with("spec").with("selector").with("matchLabels")
                                .put("app.kubernetes.io/name", "gw"), "spec.selector"),
                arguments("ACL on a topic that does not exist", "KafkaUser", "gateway",
                        (Consumer<ObjectNode>) o -> ((ObjectNode) o.at("/spec/authorization/acls/0/resource"))
                                .put("name", "gpufleet.model"), "'gpufleet.model'"),
                arguments("ACL prefix matching no topic", "KafkaUser", "scheduler",
                        (Consumer<ObjectNode>) o -> ((ObjectNode) o.at("/spec/authorization/acls/1/resource"))
                                .put("name", "fleet."), "prefix 'fleet.'"),
                arguments("user of a Kafka cluster that does not exist", "KafkaUser", "gateway",
                        (Consumer<ObjectNode>) o -> o.with("metadata").with("labels").put("strimzi.io/cluster", "kafka"),
                        "names no Kafka"),
                arguments("role password secret missing", "Cluster", "gpufleet-pg",
                        (Consumer<ObjectNode>) o -> ((ObjectNode) o.at("/spec/managed/roles/0/passwordSecret"))
                                .put("name", "pg-scheduler"), "Secret 'pg-scheduler'"),
                arguments("topic renamed away from the contract", "KafkaTopic", "gpufleet.models",
                        (Consumer<ObjectNode>) o -> o.with("spec").put("topicName", "gpufleet.model"),
                        "differ from dev.gpufleet.events.Topics.ALL"),
                arguments("compacted topic no longer compacted", "KafkaTopic", "gpufleet.workers",
                        (Consumer<ObjectNode>) o -> o.with("spec").with("config").put("cleanup.policy", "delete"),
                        "differ from Topics.COMPACTED"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("breakages")
    void aBrokenReferenceIsReported(String what, String kind, String name, Consumer<ObjectNode> breakIt,
                                    String expected) {
        List<ObjectNode> objects = new ArrayList<>();
        for (ObjectNode o : FixtureTreeTest.production()) {
            objects.add(o.deepCopy());
        }
        ObjectNode target = objects.stream().filter(o -> o.path("kind").asText().equals(kind)
                && o.path("metadata").path("name").asText().equals(name)).findFirst().orElseThrow();
        breakIt.accept(target);
        List<String> problems = new ArrayList<>(CrossReferences.check(objects));
        problems.addAll(CrossReferences.checkTopics(objects, Topics.ALL, Topics.COMPACTED));
        assertTrue(problems.stream().anyMatch(p -> p.contains(expected)), what + ": " + problems);
    }

    static ObjectNode container(ObjectNode deployment) {
        return (ObjectNode) deployment.at("/spec/template/spec/containers/0");
    }

    static List<ObjectNode> env(ObjectNode deployment) {
        List<ObjectNode> out = new ArrayList<>();
        ((ArrayNode) container(deployment).get("env")).forEach(e -> out.add((ObjectNode) e));
        return out;
    }
}
