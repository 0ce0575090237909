package dev.gpufleet.deploycheck;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every gpufleet metric the dashboard's panels and the PrometheusRule's alerts query is registered by some code:
 * a Micrometer meter named in a {@code Counter/Gauge/Timer/DistributionSummary.builder("...")},
 * {@code registry.counter/gauge/timer/summary("...")} or {@code device("...")} call under a module's src/main.
 * Micrometer writes {@code a.b.c} as {@code a_b_c} and adds {@code _total} (counters), {@code _seconds_*} (timers)
 * or {@code _count/_sum/_max/_bucket} (summaries), and a base unit ({@code _bytes}, {@code _seconds}); those forms
 * count as the same metric.
 */
class MetricNamesTest {
    static final Path ROOT = Path.of("..");
    static final Pattern REGISTERED = Pattern.compile(
            "(?:(?:Counter|Gauge|Timer|DistributionSummary|FunctionCounter|LongTaskTimer)\\.builder|\\.counter|\\.gauge"
                    + "|\\.timer|\\.summary|\\bdevice)\\(\\s*\"(gpufleet[._][a-z0-9_.]+)\"");
    static final Pattern QUERIED = Pattern.compile("\\b(gpufleet_[a-z0-9_]+)\\b");
    static final List<String> SUFFIXES = List.of("", "_total", "_seconds", "_seconds_count", "_seconds_sum",
            "_seconds_max", "_seconds_bucket", "_bytes", "_count", "_sum", "_max", "_bucket");

    static Set<String> registered() {
        Set<String> names = new TreeSet<>();
        try (Stream<Path> modules = Files.list(ROOT)) {
            for (Path sources : modules.map(m -> m.resolve("src/main/java")).filter(Files::isDirectory).toList()) {
                try (Stream<Path> files = Files.walk(sources)) {
                    files.filter(p -> p.toString().endsWith(".java")).forEach(p -> {
                        Matcher m = REGISTERED.matcher(read(p));
                        while (m.find()) {
                            names.add(m.group(1).replace('.', '_'));
                        }
                    });
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return names;
    }

    static Set<String> queried() throws IOException {
        List<String> expressions = new ArrayList<>();
        JsonNode dashboard = new ObjectMapper().readTree(HelmChart.CHART.resolve("dashboards/gpufleet.json").toFile());
        dashboard.findValues("expr").forEach(e -> expressions.add(e.asText()));
        for (ObjectNode rule : CrossReferences.ofKind(ChartTest.rendered("defaults"), "PrometheusRule")) {
            rule.findValues("expr").forEach(e -> expressions.add(e.asText()));
        }
        Set<String> names = new TreeSet<>();
        for (String expr : expressions) {
            Matcher m = QUERIED.matcher(expr);
            while (m.find()) {
                names.add(m.group(1));
            }
        }
        return names;
    }

    static boolean isRegistered(String queried, Set<String> registered) {
        return SUFFIXES.stream().anyMatch(s -> queried.endsWith(s)
                && registered.contains(queried.substring(0, queried.length() - s.length())));
    }

    @Test
    void everyQueriedMetricIsRegistered() throws IOException {
        Set<String> registered = registered();
        Set<String> queried = queried();
        assertTrue(queried.size() >= 10, "expected the dashboard and alerts to query metrics: " + queried);
        List<String> missing = queried.stream().filter(q -> !isRegistered(q, registered)).toList();
        assertEquals(List.of(), missing, "queried by the dashboard or an alert but registered by no code; "
                + "registered: " + registered);
    }

    /** Each alert's runbook_url anchor is a heading of docs/operations.md. */
    @Test
    void everyAlertHasARunbookSection() throws IOException {
        String operations = Files.readString(ROOT.resolve("docs/operations.md"));
        Set<String> anchors = new TreeSet<>();
        Matcher heading = Pattern.compile("(?m)^#{2,4} (.+)$").matcher(operations);
        while (heading.find()) {
            anchors.add(heading.group(1).strip().toLowerCase().replaceAll("[^a-z0-9 -]", "").replace(' ', '-'));
        }
        List<String> missing = new ArrayList<>();
        for (ObjectNode rule : CrossReferences.ofKind(ChartTest.rendered("defaults"), "PrometheusRule")) {
            for (JsonNode url : rule.findValues("runbook_url")) {
                String anchor = url.asText().substring(url.asText().indexOf('#') + 1);
                if (!anchors.contains(anchor)) {
                    missing.add(url.asText());
                }
            }
        }
        assertEquals(List.of(), missing, "runbook links without a section in docs/operations.md");
    }

    @Test
    void theMatchCanFail() {
        Set<String> registered = Set.of("gpufleet_gateway_requests", "gpufleet_outbox_backlog");
        assertTrue(isRegistered("gpufleet_gateway_requests_seconds_bucket", registered));
        assertTrue(isRegistered("gpufleet_outbox_backlog", registered));
        assertTrue(!isRegistered("gpufleet_outbox_backlogs", registered));
        assertTrue(!isRegistered("gpufleet_gateway_request_seconds_count", registered));
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
