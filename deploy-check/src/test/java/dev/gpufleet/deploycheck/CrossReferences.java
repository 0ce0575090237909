package dev.gpufleet.deploycheck;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Checks that the rendered objects refer to each other correctly. Objects that operators create at run time count
 * as present, by these rules (and only these):
 * <ul>
 *   <li>CloudNativePG {@code Cluster c}: Secrets {@code c-app} (keys username, password, host, port, dbname, uri,
 *       jdbc-uri, pgpass, user; unless bootstrap.initdb.secret names the app secret), {@code c-superuser} (when
 *       enableSuperuserAccess is true), {@code c-ca}, {@code c-server}, {@code c-replication}; pods labelled
 *       {@code cnpg.io/cluster: c}, {@code cnpg.io/podRole: instance}, {@code cnpg.io/instanceRole} and {@code role}
 *       = primary (and replica when instances > 1) plus inheritedMetadata.labels, with ports postgresql, metrics,
 *       status. Role passwords (managed.roles[].passwordSecret) are NOT made by the operator: they must be rendered.</li>
 *   <li>Strimzi {@code KafkaUser u} of cluster k: Secret {@code <secretPrefix>u} (keys password, sasl.jaas.config
 *       for scram-sha-512; ca.crt, user.crt, user.key, user.p12, user.password for tls).</li>
 *   <li>Strimzi {@code Kafka k}: Secrets {@code k-cluster-ca-cert}, {@code k-clients-ca-cert} (ca.crt, ca.p12,
 *       ca.password); broker/controller pods per KafkaNodePool p labelled {@code strimzi.io/cluster: k},
 *       {@code strimzi.io/kind: Kafka}, {@code strimzi.io/name: k-kafka}, {@code strimzi.io/pool-name: p},
 *       {@code strimzi.io/broker-role}/{@code strimzi.io/controller-role} ("true"/"false"),
 *       {@code app.kubernetes.io/name: kafka}, {@code app.kubernetes.io/instance: k}, with ports tcp-ctrlplane,
 *       tcp-replication, tcp-&lt;listener&gt; and tcp-prometheus when metricsConfig is set; the entity operator pod
 *       ({@code strimzi.io/name: k-entity-operator}) when entityOperator is set.</li>
 * </ul>
 * Peers and monitors with a namespaceSelector point outside the rendered set and are not followed.
 */
public final class CrossReferences {
    private CrossReferences() {
    }

    /** Pods that will exist: from a workload's template or made by an operator. */
    record Pods(String owner, String namespace, Map<String, String> labels, Set<String> portNames) {
    }

    record Produced(String kind, String namespace, String name, Set<String> keys, String madeBy) {
    }

    public static List<String> check(List<ObjectNode> objects) {
        List<String> problems = new ArrayList<>();
        List<Pods> pods = pods(objects);
        List<Produced> produced = produced(objects);
        for (ObjectNode o : objects) {
            checkRefs(o, objects, produced, problems);
            String kind = o.path("kind").asText();
            String ns = ns(o);
            JsonNode spec = o.path("spec");
            switch (kind) {
                case "Service" -> checkService(o, pods, problems);
                case "PodDisruptionBudget" -> requireMatch(o, "spec.selector", spec.path("selector"), pods, ns,
                        problems);
                case "NetworkPolicy" -> {
                    requireMatch(o, "spec.podSelector", spec.path("podSelector"), pods, ns, problems);
                    for (String[] dir : new String[][]{{"ingress", "from"}, {"egress", "to"}}) {
                        int i = 0;
                        for (JsonNode rule : spec.path(dir[0])) {
                            int j = 0;
                            for (JsonNode peer : rule.path(dir[1])) {
                                if (peer.has("podSelector") && !peer.has("namespaceSelector")) {
                                    requireMatch(o, "spec." + dir[0] + "[" + i + "]." + dir[1] + "[" + j
                                            + "].podSelector", peer.get("podSelector"), pods, ns, problems);
                                }
                                j++;
                            }
                            i++;
                        }
                    }
                }
                case "ServiceMonitor" -> checkServiceMonitor(o, objects, problems);
                case "PodMonitor" -> checkPodMonitor(o, pods, problems);
                case "KafkaTopic", "KafkaUser", "KafkaNodePool" -> {
                    String cluster = o.path("metadata").path("labels").path("strimzi.io/cluster").asText("");
                    if (find(objects, "Kafka", ns, cluster) == null) {
                        problems.add(Kustomize.id(o) + ": label strimzi.io/cluster '" + cluster
                                + "' names no Kafka in namespace " + ns);
                    }
                    if (kind.equals("KafkaUser")) {
                        checkAcls(o, objects, problems);
                    }
                }
                case "Database", "ScheduledBackup" -> {
                    String cluster = spec.path("cluster").path("name").asText("");
                    if (find(objects, "Cluster", ns, cluster) == null) {
                        problems.add(Kustomize.id(o) + ": spec.cluster.name '" + cluster
                                + "' names no CloudNativePG Cluster");
                    }
                }
                default -> {
                }
            }
        }
        return problems;
    }

    /** The KafkaTopics must be exactly the contract's topics, compacted exactly where the contract says. */
    public static List<String> checkTopics(List<ObjectNode> objects, Collection<String> all,
                                           Collection<String> compacted) {
        List<String> problems = new ArrayList<>();
        Set<String> names = new TreeSet<>();
        Set<String> compactedNames = new TreeSet<>();
        for (ObjectNode t : ofKind(objects, "KafkaTopic")) {
            String name = topicName(t);
            names.add(name);
            if (t.path("spec").path("config").path("cleanup.policy").asText("delete").contains("compact")) {
                compactedNames.add(name);
            }
        }
        if (!names.equals(new TreeSet<>(all))) {
            problems.add("KafkaTopics " + names + " differ from dev.gpufleet.events.Topics.ALL " + new TreeSet<>(all));
        }
        if (!compactedNames.equals(new TreeSet<>(compacted))) {
            problems.add("compacted KafkaTopics " + compactedNames + " differ from Topics.COMPACTED "
                    + new TreeSet<>(compacted));
        }
        return problems;
    }

    static String topicName(JsonNode topic) {
        return topic.path("spec").path("topicName").asText(topic.path("metadata").path("name").asText());
    }

    static List<ObjectNode> ofKind(List<ObjectNode> objects, String kind) {
        return objects.stream().filter(o -> kind.equals(o.path("kind").asText())).toList();
    }

    static String ns(JsonNode o) {
        return o.path("metadata").path("namespace").asText("");
    }

    static ObjectNode find(List<ObjectNode> objects, String kind, String ns, String name) {
        for (ObjectNode o : objects) {
            if (kind.equals(o.path("kind").asText()) && ns.equals(ns(o))
                    && name.equals(o.path("metadata").path("name").asText())) {
                return o;
            }
        }
        return null;
    }

    private static Map<String, String> labels(JsonNode n) {
        Map<String, String> m = new LinkedHashMap<>();
        n.fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue().asText()));
        return m;
    }

    static List<Pods> pods(List<ObjectNode> objects) {
        List<Pods> out = new ArrayList<>();
        for (ObjectNode o : objects) {
            String kind = o.path("kind").asText();
            String ns = ns(o);
            if (Kustomize.WORKLOADS.contains(kind)) {
                Set<String> ports = new LinkedHashSet<>();
                JsonNode podSpec = o.path("spec").path("template").path("spec");
                for (String c : List.of("containers", "initContainers")) {
                    for (JsonNode container : podSpec.path(c)) {
                        for (JsonNode p : container.path("ports")) {
                            if (p.hasNonNull("name")) {
                                ports.add(p.get("name").asText());
                            }
                        }
                    }
                }
                out.add(new Pods(Kustomize.id(o), ns,
                        labels(o.path("spec").path("template").path("metadata").path("labels")), ports));
            } else if (kind.equals("Cluster") && o.path("apiVersion").asText().startsWith("postgresql.cnpg.io/")) {
                String c = o.path("metadata").path("name").asText();
                List<String> roles = o.path("spec").path("instances").asInt(1) > 1
                        ? List.of("primary", "replica") : List.of("primary");
                for (String role : roles) {
                    Map<String, String> l = labels(o.path("spec").path("inheritedMetadata").path("labels"));
                    l.put("cnpg.io/cluster", c);
                    l.put("cnpg.io/podRole", "instance");
                    l.put("cnpg.io/instanceRole", role);
                    l.put("role", role);
                    out.add(new Pods("CloudNativePG pods of " + Kustomize.id(o), ns, l,
                            Set.of("postgresql", "metrics", "status")));
                }
            } else if (kind.equals("Kafka") && o.path("apiVersion").asText().startsWith("kafka.strimzi.io/")) {
                String k = o.path("metadata").path("name").asText();
                Set<String> ports = new LinkedHashSet<>(List.of("tcp-ctrlplane", "tcp-replication"));
                for (JsonNode l : o.path("spec").path("kafka").path("listeners")) {
                    ports.add("tcp-" + l.path("name").asText());
                }
                if (o.path("spec").path("kafka").has("metricsConfig")) {
                    ports.add("tcp-prometheus");
                }
                Map<String, String> base = labels(o.path("spec").path("kafka").path("template").path("pod")
                        .path("metadata").path("labels"));
                base.put("strimzi.io/cluster", k);
                base.put("strimzi.io/kind", "Kafka");
                base.put("strimzi.io/name", k + "-kafka");
                base.put("app.kubernetes.io/name", "kafka");
                base.put("app.kubernetes.io/instance", k);
                base.put("app.kubernetes.io/managed-by", "strimzi-cluster-operator");
                for (ObjectNode pool : ofKind(objects, "KafkaNodePool")) {
                    if (!ns.equals(ns(pool))
                            || !k.equals(pool.path("metadata").path("labels").path("strimzi.io/cluster").asText())) {
                        continue;
                    }
                    Map<String, String> l = new LinkedHashMap<>(base);
                    l.put("strimzi.io/pool-name", pool.path("metadata").path("name").asText());
                    Set<String> poolRoles = new LinkedHashSet<>();
                    pool.path("spec").path("roles").forEach(r -> poolRoles.add(r.asText()));
                    l.put("strimzi.io/broker-role", String.valueOf(poolRoles.contains("broker")));
                    l.put("strimzi.io/controller-role", String.valueOf(poolRoles.contains("controller")));
                    out.add(new Pods("Strimzi pods of " + Kustomize.id(pool), ns, l, ports));
                }
                if (o.path("spec").has("entityOperator")) {
                    Map<String, String> l = new LinkedHashMap<>();
                    l.put("strimzi.io/cluster", k);
                    l.put("strimzi.io/kind", "Kafka");
                    l.put("strimzi.io/name", k + "-entity-operator");
                    l.put("app.kubernetes.io/name", "entity-operator");
                    l.put("app.kubernetes.io/instance", k);
                    out.add(new Pods("Strimzi entity operator of " + Kustomize.id(o), ns, l, Set.of("healthcheck")));
                }
            }
        }
        return out;
    }

    static List<Produced> produced(List<ObjectNode> objects) {
        List<Produced> out = new ArrayList<>();
        for (ObjectNode o : objects) {
            String kind = o.path("kind").asText();
            String ns = ns(o);
            String name = o.path("metadata").path("name").asText();
            String api = o.path("apiVersion").asText();
            if (kind.equals("Cluster") && api.startsWith("postgresql.cnpg.io/")) {
                String by = "CloudNativePG " + Kustomize.id(o);
                if (!o.path("spec").path("bootstrap").path("initdb").has("secret")) {
                    out.add(new Produced("Secret", ns, name + "-app", Set.of("username", "password", "host", "port",
                            "dbname", "uri", "jdbc-uri", "pgpass", "user", "fqdn-uri", "fqdn-jdbc-uri"), by));
                }
                if (o.path("spec").path("enableSuperuserAccess").asBoolean(false)
                        && !o.path("spec").has("superuserSecret")) {
                    out.add(new Produced("Secret", ns, name + "-superuser", Set.of("username", "password", "host",
                            "port", "dbname", "uri", "jdbc-uri", "pgpass", "user"), by));
                }
                for (String s : List.of("-ca", "-server", "-replication")) {
                    out.add(new Produced("Secret", ns, name + s, Set.of("ca.crt", "ca.key", "tls.crt", "tls.key"),
                            by));
                }
            } else if (kind.equals("Kafka") && api.startsWith("kafka.strimzi.io/")) {
                for (String s : List.of("-cluster-ca-cert", "-clients-ca-cert")) {
                    out.add(new Produced("Secret", ns, name + s, Set.of("ca.crt", "ca.p12", "ca.password"),
                            "Strimzi " + Kustomize.id(o)));
                }
            } else if (kind.equals("KafkaUser") && api.startsWith("kafka.strimzi.io/")) {
                String cluster = o.path("metadata").path("labels").path("strimzi.io/cluster").asText("");
                ObjectNode kafka = find(objects, "Kafka", ns, cluster);
                String prefix = kafka == null ? ""
                        : kafka.path("spec").path("entityOperator").path("userOperator").path("secretPrefix").asText("");
                Set<String> keys = "tls".equals(o.path("spec").path("authentication").path("type").asText())
                        ? Set.of("ca.crt", "user.crt", "user.key", "user.p12", "user.password")
                        : Set.of("password", "sasl.jaas.config");
                out.add(new Produced("Secret", ns, prefix + name, keys, "Strimzi " + Kustomize.id(o)));
            }
        }
        return out;
    }

    /** Every Secret, ConfigMap, PVC and ServiceAccount an object names must be rendered or operator-made. */
    private static void checkRefs(ObjectNode o, List<ObjectNode> objects, List<Produced> produced,
                                  List<String> problems) {
        List<String[]> refs = new ArrayList<>(); // kind, name, key (nullable), path
        collectRefs(o, "", refs);
        if ("Cluster".equals(o.path("kind").asText())) {
            JsonNode initdbSecret = o.path("spec").path("bootstrap").path("initdb").path("secret");
            if (initdbSecret.hasNonNull("name")) {
                refs.add(new String[]{"Secret", initdbSecret.get("name").asText(), null,
                        "spec.bootstrap.initdb.secret"});
            }
        }
        Set<String> claimTemplates = new LinkedHashSet<>();
        o.path("spec").path("volumeClaimTemplates").forEach(t -> claimTemplates.add(t.path("metadata").path("name")
                .asText()));
        String ns = ns(o);
        for (String[] r : refs) {
            String kind = r[0];
            String name = r[1];
            String key = r[2];
            String where = Kustomize.id(o) + ": " + r[3];
            if (kind.equals("ServiceAccount") && name.equals("default")) {
                continue;
            }
            if (kind.equals("PersistentVolumeClaim") && claimTemplates.contains(name)) {
                continue;
            }
            ObjectNode target = find(objects, kind, ns, name);
            if (target != null) {
                if (key != null) {
                    Set<String> keys = new LinkedHashSet<>();
                    for (String field : List.of("data", "binaryData", "stringData")) {
                        target.path(field).fieldNames().forEachRemaining(keys::add);
                    }
                    if (!keys.contains(key)) {
                        problems.add(where + " names key '" + key + "' that " + kind + " " + name
                                + " does not have; it has " + keys);
                    }
                }
                continue;
            }
            Produced p = produced.stream()
                    .filter(x -> x.kind().equals(kind) && x.namespace().equals(ns) && x.name().equals(name))
                    .findFirst().orElse(null);
            if (p == null) {
                problems.add(where + " names " + kind + " '" + name + "', which is neither rendered nor made by an "
                        + "operator (see CrossReferences for the rules)");
            } else if (key != null && !p.keys().contains(key)) {
                problems.add(where + " names key '" + key + "' of " + kind + " " + name + " (made by " + p.madeBy()
                        + "), which has only " + new TreeSet<>(p.keys()));
            }
        }
    }

    private static void collectRefs(JsonNode n, String path, List<String[]> refs) {
        if (n.isArray()) {
            int i = 0;
            for (JsonNode c : n) {
                collectRefs(c, path + "[" + i++ + "]", refs);
            }
            return;
        }
        if (!n.isObject()) {
            return;
        }
        n.fields().forEachRemaining(e -> {
            String key = e.getKey();
            JsonNode v = e.getValue();
            String p = path.isEmpty() ? key : path + "." + key;
            switch (key) {
                // optional: the key may be missing (the Secret is still expected: a missing one is a typo)
                case "secretKeyRef" -> refs.add(new String[]{"Secret", v.path("name").asText(),
                        v.path("optional").asBoolean(false) ? null : v.path("key").asText(null), p});
                case "configMapKeyRef" -> refs.add(new String[]{"ConfigMap", v.path("name").asText(),
                        v.path("key").asText(null), p});
                case "secretRef", "passwordSecret", "superuserSecret" -> {
                    if (v.hasNonNull("name")) {
                        refs.add(new String[]{"Secret", v.get("name").asText(), null, p});
                    }
                }
                case "configMapRef" -> refs.add(new String[]{"ConfigMap", v.path("name").asText(), null, p});
                case "serviceAccountName" -> refs.add(new String[]{"ServiceAccount", v.asText(), null, p});
                case "imagePullSecrets" -> v.forEach(s -> refs.add(new String[]{"Secret", s.path("name").asText(),
                        null, p}));
                case "volumes" -> {
                    if (v.isArray()) {
                        for (JsonNode vol : v) {
                            String vp = p + "[" + vol.path("name").asText() + "]";
                            if (vol.path("secret").hasNonNull("secretName")) {
                                refs.add(new String[]{"Secret", vol.get("secret").get("secretName").asText(), null,
                                        vp + ".secret"});
                            }
                            if (vol.path("configMap").hasNonNull("name")) {
                                refs.add(new String[]{"ConfigMap", vol.get("configMap").get("name").asText(), null,
                                        vp + ".configMap"});
                            }
                            if (vol.path("persistentVolumeClaim").hasNonNull("claimName")) {
                                refs.add(new String[]{"PersistentVolumeClaim",
                                        vol.get("persistentVolumeClaim").get("claimName").asText(), null,
                                        vp + ".persistentVolumeClaim"});
                            }
                            for (JsonNode src : vol.path("projected").path("sources")) {
                                if (src.path("secret").hasNonNull("name")) {
                                    refs.add(new String[]{"Secret", src.get("secret").get("name").asText(), null,
                                            vp + ".projected"});
                                }
                                if (src.path("configMap").hasNonNull("name")) {
                                    refs.add(new String[]{"ConfigMap", src.get("configMap").get("name").asText(),
                                            null, vp + ".projected"});
                                }
                            }
                        }
                    }
                }
                default -> {
                }
            }
            collectRefs(v, p, refs);
        });
    }

    private static void checkService(ObjectNode svc, List<Pods> pods, List<String> problems) {
        JsonNode selector = svc.path("spec").path("selector");
        if (selector.isMissingNode() || selector.isEmpty()) {
            problems.add(Kustomize.id(svc) + ": spec.selector is empty; every gpufleet Service selects pods");
            return;
        }
        Map<String, String> want = labels(selector);
        List<Pods> matched = pods.stream()
                .filter(p -> p.namespace().equals(ns(svc)) && p.labels().entrySet().containsAll(want.entrySet()))
                .toList();
        if (matched.isEmpty()) {
            problems.add(Kustomize.id(svc) + ": spec.selector " + want + " matches no pods; pods have "
                    + pods.stream().filter(p -> p.namespace().equals(ns(svc))).map(Pods::labels).toList());
            return;
        }
        for (JsonNode port : svc.path("spec").path("ports")) {
            JsonNode target = port.path("targetPort");
            if (target.isTextual() && matched.stream().noneMatch(p -> p.portNames().contains(target.asText()))) {
                problems.add(Kustomize.id(svc) + ": targetPort '" + target.asText() + "' is not a named container "
                        + "port of " + matched.stream().map(Pods::owner).toList());
            }
        }
    }

    private static List<Pods> requireMatch(ObjectNode o, String field, JsonNode selector, List<Pods> pods,
                                           String ns, List<String> problems) {
        if (selector.isMissingNode() || selector.isNull()) {
            return List.of();
        }
        List<Pods> matched = pods.stream()
                .filter(p -> p.namespace().equals(ns) && Selectors.matches(selector, p.labels())).toList();
        if (matched.isEmpty()) {
            problems.add(Kustomize.id(o) + ": " + field + " " + selector + " matches no pods");
        }
        return matched;
    }

    private static void checkServiceMonitor(ObjectNode sm, List<ObjectNode> objects, List<String> problems) {
        if (sm.path("spec").has("namespaceSelector")) {
            return;
        }
        List<ObjectNode> services = ofKind(objects, "Service").stream()
                .filter(s -> ns(s).equals(ns(sm))
                        && Selectors.matches(sm.path("spec").path("selector"), labels(s.path("metadata").path("labels"))))
                .toList();
        if (services.isEmpty()) {
            problems.add(Kustomize.id(sm) + ": spec.selector " + sm.path("spec").path("selector")
                    + " matches no Service");
            return;
        }
        for (JsonNode ep : sm.path("spec").path("endpoints")) {
            if (ep.hasNonNull("port") && services.stream().noneMatch(s -> hasPortNamed(s, ep.get("port").asText()))) {
                problems.add(Kustomize.id(sm) + ": endpoint port '" + ep.get("port").asText()
                        + "' is not a port name of " + services.stream().map(Kustomize::id).toList());
            }
        }
    }

    private static boolean hasPortNamed(JsonNode svc, String name) {
        for (JsonNode p : svc.path("spec").path("ports")) {
            if (name.equals(p.path("name").asText())) {
                return true;
            }
        }
        return false;
    }

    private static void checkPodMonitor(ObjectNode pm, List<Pods> pods, List<String> problems) {
        if (pm.path("spec").has("namespaceSelector")) {
            return;
        }
        List<Pods> matched = requireMatch(pm, "spec.selector", pm.path("spec").path("selector"), pods, ns(pm),
                problems);
        if (matched.isEmpty()) {
            return;
        }
        for (JsonNode ep : pm.path("spec").path("podMetricsEndpoints")) {
            if (ep.hasNonNull("port") && matched.stream().noneMatch(p -> p.portNames().contains(ep.get("port").asText()))) {
                problems.add(Kustomize.id(pm) + ": podMetricsEndpoints port '" + ep.get("port").asText()
                        + "' is not a named container port of " + matched.stream().map(Pods::owner).toList());
            }
        }
    }

    private static void checkAcls(ObjectNode user, List<ObjectNode> objects, List<String> problems) {
        Set<String> topics = new TreeSet<>();
        ofKind(objects, "KafkaTopic").forEach(t -> topics.add(topicName(t)));
        int i = 0;
        for (JsonNode acl : user.path("spec").path("authorization").path("acls")) {
            JsonNode r = acl.path("resource");
            if ("topic".equals(r.path("type").asText())) {
                String name = r.path("name").asText();
                boolean prefix = "prefix".equals(r.path("patternType").asText());
                boolean ok = name.equals("*") ? false
                        : prefix ? topics.stream().anyMatch(t -> t.startsWith(name)) : topics.contains(name);
                if (!ok) {
                    problems.add(Kustomize.id(user) + ": spec.authorization.acls[" + i + "] names topic "
                            + (prefix ? "prefix " : "") + "'" + name + "', which is no KafkaTopic; topics: " + topics);
                }
            }
            i++;
        }
    }

    /** Label selector semantics of Kubernetes: matchLabels and matchExpressions (In, NotIn, Exists, DoesNotExist). */
    static final class Selectors {
        private Selectors() {
        }

        static boolean matches(JsonNode selector, Map<String, String> labels) {
            for (Map.Entry<String, String> e : labels(selector.path("matchLabels")).entrySet()) {
                if (!Objects.equals(labels.get(e.getKey()), e.getValue())) {
                    return false;
                }
            }
            for (JsonNode expr : selector.path("matchExpressions")) {
                String key = expr.path("key").asText();
                Set<String> values = new LinkedHashSet<>();
                expr.path("values").forEach(v -> values.add(v.asText()));
                boolean ok = switch (expr.path("operator").asText()) {
                    case "In" -> labels.containsKey(key) && values.contains(labels.get(key));
                    case "NotIn" -> !labels.containsKey(key) || !values.contains(labels.get(key));
                    case "Exists" -> labels.containsKey(key);
                    case "DoesNotExist" -> !labels.containsKey(key);
                    default -> throw new IllegalArgumentException("unknown selector operator "
                            + expr.path("operator").asText() + "; allowed: In, NotIn, Exists, DoesNotExist");
                };
                if (!ok) {
                    return false;
                }
            }
            return true;
        }
    }
}
