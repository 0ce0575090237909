package dev.gpufleet.deploycheck;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The project's own rules for what the chart renders, beyond the schemas:
 * <ul>
 *   <li>every long-running container has startup, liveness and readiness probes on Quarkus' /q/health/*;</li>
 *   <li>every image has a tag and it is not {@code latest};</li>
 *   <li>every container has a memory limit, unless its pod's {@code gpufleet.dev/unlimited-containers} annotation
 *       names it with the reason ({@code "worker-agent: backends run as its child processes"});</li>
 *   <li>every container has a read-only root file system;</li>
 *   <li>no Secret holds a placeholder value (CHANGE-ME, example, password, ...);</li>
 *   <li>workloads that are rolled wait {@code minReadySeconds} before counting a new pod available, and the
 *       gateway drains: a preStop pause, then up to {@code QUARKUS_SHUTDOWN_TIMEOUT} for requests in flight, all
 *       inside terminationGracePeriodSeconds.</li>
 * </ul>
 */
final class ChartRules {
    static final String UNLIMITED = "gpufleet.dev/unlimited-containers";
    static final Pattern PLACEHOLDER = Pattern.compile(
            "(?i)change[-_ ]?me|placeholder|example|replace[-_ ]?me|^password$|^secret$|^admin$|^changeit$|^x+$");
    private static final Set<String> WORKLOADS = Set.of("Deployment", "DaemonSet", "StatefulSet");

    private ChartRules() {
    }

    static List<String> problems(List<ObjectNode> objects) {
        List<String> problems = new ArrayList<>();
        for (ObjectNode o : objects) {
            String kind = o.path("kind").asText();
            if (WORKLOADS.contains(kind)) {
                workload(o, problems);
            }
            if (kind.equals("Secret")) {
                secret(o, problems);
            }
        }
        return problems;
    }

    private static void workload(ObjectNode o, List<String> problems) {
        String id = Kustomize.id(o);
        JsonNode spec = o.path("spec");
        JsonNode pod = spec.path("template").path("spec");
        String unlimited = spec.path("template").path("metadata").path("annotations").path(UNLIMITED).asText("");
        if (spec.path("minReadySeconds").asInt(0) <= 0) {
            problems.add(id + ": spec.minReadySeconds is not set; a new pod must stay ready a while before the "
                    + "rollout moves on");
        }
        for (String list : List.of("initContainers", "containers")) {
            for (JsonNode c : pod.path(list)) {
                String where = id + ": " + list + "[" + c.path("name").asText() + "]";
                image(where, c.path("image").asText(""), problems);
                if (!c.path("securityContext").path("readOnlyRootFilesystem").asBoolean(false)) {
                    problems.add(where + ": securityContext.readOnlyRootFilesystem is not true");
                }
                boolean exempt = unlimited.startsWith(c.path("name").asText() + ":")
                        && unlimited.length() > c.path("name").asText().length() + 2;
                if (!c.path("resources").path("limits").has("memory") && !exempt) {
                    problems.add(where + ": no resources.limits.memory (or name it with a reason in the pod "
                            + "annotation " + UNLIMITED + ")");
                }
                if (list.equals("containers")) {
                    probes(where, c, problems);
                }
            }
        }
        if (o.path("metadata").path("name").asText().equals("gateway")) {
            gatewayDrains(id, pod, problems);
        }
    }

    private static void image(String where, String image, List<String> problems) {
        String afterRegistry = image.substring(image.lastIndexOf('/') + 1);
        if (image.contains("@sha256:")) {
            return;
        }
        int colon = afterRegistry.indexOf(':');
        if (colon < 0) {
            problems.add(where + ": image '" + image + "' has no tag");
        } else if (afterRegistry.substring(colon + 1).equals("latest")) {
            problems.add(where + ": image '" + image + "' uses :latest");
        }
    }

    private static void probes(String where, JsonNode c, List<String> problems) {
        Map<String, String> wanted = Map.of("startupProbe", "/q/health/started", "livenessProbe", "/q/health/live",
                "readinessProbe", "/q/health/ready");
        for (Map.Entry<String, String> p : wanted.entrySet()) {
            String path = c.path(p.getKey()).path("httpGet").path("path").asText("");
            if (!path.equals(p.getValue())) {
                problems.add(where + ": " + p.getKey() + " must be an httpGet on " + p.getValue()
                        + (path.isEmpty() ? " (none)" : ", not " + path));
            }
        }
    }

    private static void gatewayDrains(String id, JsonNode pod, List<String> problems) {
        JsonNode c = pod.path("containers").path(0);
        int preStop = c.path("lifecycle").path("preStop").path("sleep").path("seconds").asInt(-1);
        if (preStop <= 0) {
            problems.add(id + ": the gateway needs a preStop sleep, so that endpoints drop it before it stops "
                    + "accepting");
        }
        int shutdown = -1;
        for (JsonNode e : c.path("env")) {
            if (e.path("name").asText().equals("QUARKUS_SHUTDOWN_TIMEOUT")) {
                String v = e.path("value").asText("");
                shutdown = v.matches("\\d+s") ? Integer.parseInt(v.substring(0, v.length() - 1)) : -1;
            }
        }
        if (shutdown <= 0) {
            problems.add(id + ": QUARKUS_SHUTDOWN_TIMEOUT (seconds, e.g. 600s) must give streams in flight time "
                    + "to finish");
        }
        int grace = pod.path("terminationGracePeriodSeconds").asInt(30);
        if (grace < Math.max(preStop, 0) + Math.max(shutdown, 0)) {
            problems.add(id + ": terminationGracePeriodSeconds " + grace + " is shorter than preStop " + preStop
                    + " s + shutdown timeout " + shutdown + " s: streams would be killed");
        }
    }

    private static void secret(ObjectNode o, List<String> problems) {
        o.path("stringData").fields().forEachRemaining(e -> placeholder(o, e.getKey(), e.getValue().asText(),
                problems));
        o.path("data").fields().forEachRemaining(e -> placeholder(o, e.getKey(),
                new String(Base64.getDecoder().decode(e.getValue().asText()), StandardCharsets.UTF_8), problems));
    }

    private static void placeholder(ObjectNode o, String key, String value, List<String> problems) {
        if (PLACEHOLDER.matcher(value).find()) {
            problems.add(Kustomize.id(o) + ": key " + key + " holds a placeholder value");
        }
    }
}
