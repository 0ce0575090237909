package dev.gpufleet.e2e.docs;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * docs/api.md's route tables, generated from each service's OpenAPI document ({@code /q/openapi?format=json}):
 * one table per service between {@code <!-- api:SERVICE:begin -->} and {@code <!-- api:SERVICE:end -->}, a row per
 * operation ({@code | `METHOD` | `path` | what |}). Text around the tables, and a row's "what" once written by
 * hand, stay; a new operation gets the document's summary.
 */
public final class ApiReference {
    private static final List<String> METHODS = List.of("get", "put", "post", "delete", "patch", "head", "options");
    private static final Pattern ROW = Pattern.compile("(?m)^\\|\\s*`([A-Z]+)`\\s*\\|\\s*`([^`]+)`\\s*\\|");

    private ApiReference() {
    }

    /** One operation of a document. */
    public record Operation(String method, String path, String summary) implements Comparable<Operation> {
        String key() {
            return method + " " + path;
        }

        @Override
        public int compareTo(Operation o) {
            int byPath = path.compareTo(o.path);
            return byPath != 0 ? byPath : Integer.compare(METHODS.indexOf(method.toLowerCase(Locale.ROOT)),
                    METHODS.indexOf(o.method.toLowerCase(Locale.ROOT)));
        }
    }

    public static List<Operation> operations(JsonNode openApi) {
        List<Operation> operations = new ArrayList<>();
        openApi.path("paths").properties().forEach(path -> {
            for (String method : METHODS) {
                JsonNode op = path.getValue().get(method);
                if (op != null) {
                    operations.add(new Operation(method.toUpperCase(Locale.ROOT), path.getKey(), summary(op)));
                }
            }
        });
        operations.sort(null);
        return operations;
    }

    private static String summary(JsonNode op) {
        String text = op.path("summary").asText("");
        if (text.isBlank()) {
            text = op.path("description").asText("");
        }
        text = text.strip().replaceAll("\\s+", " ");
        int sentence = text.indexOf(". ");
        if (sentence > 0) {
            text = text.substring(0, sentence + 1);
        }
        return text.replace("|", "\\|");
    }

    static String table(List<Operation> operations) {
        StringBuilder b = new StringBuilder("| method | path | what |\n|---|---|---|\n");
        for (Operation op : operations) {
            b.append("| `").append(op.method()).append("` | `").append(op.path()).append("` | ")
                    .append(op.summary()).append(" |\n");
        }
        return b.toString();
    }

    static String begin(String service) {
        return "<!-- api:" + service + ":begin -->";
    }

    static String end(String service) {
        return "<!-- api:" + service + ":end -->";
    }

    /** The markdown with each service's table replaced by one generated from its operations. */
    public static String regenerate(String markdown, Map<String, List<Operation>> byService) {
        String result = markdown;
        for (Map.Entry<String, List<Operation>> e : byService.entrySet()) {
            int b = result.indexOf(begin(e.getKey()));
            int en = result.indexOf(end(e.getKey()));
            if (b < 0 || en < b) {
                throw new IllegalArgumentException("docs/api.md lacks " + begin(e.getKey()) + " … " + end(e.getKey()));
            }
            Map<String, String> written = descriptions(result.substring(b, en));
            List<Operation> operations = e.getValue().stream().map(op -> written.containsKey(op.key())
                    ? new Operation(op.method(), op.path(), written.get(op.key())) : op).toList();
            result = result.substring(0, b + begin(e.getKey()).length()) + "\n" + table(operations)
                    + result.substring(en);
        }
        return result;
    }

    /** A table's hand-written "what" cells by {@code METHOD path}: a better word than the generated summary stays. */
    private static Map<String, String> descriptions(String table) {
        Map<String, String> written = new LinkedHashMap<>();
        Matcher m = Pattern.compile("(?m)^\\|\\s*`([A-Z]+)`\\s*\\|\\s*`([^`]+)`\\s*\\|(.*)\\|\\s*$").matcher(table);
        while (m.find()) {
            if (!m.group(3).isBlank()) {
                written.put(m.group(1) + " " + m.group(2), m.group(3).strip());
            }
        }
        return written;
    }

    /** {@code METHOD path} of every row in a service's table. */
    public static Set<String> documented(String markdown, String service) {
        int b = markdown.indexOf(begin(service));
        int en = markdown.indexOf(end(service));
        if (b < 0 || en < b) {
            throw new IllegalArgumentException("docs/api.md lacks " + begin(service) + " … " + end(service));
        }
        Set<String> keys = new TreeSet<>();
        Matcher m = ROW.matcher(markdown.substring(b, en));
        while (m.find()) {
            keys.add(m.group(1) + " " + m.group(2));
        }
        return keys;
    }

    /** What differs between the doc and the documents, as lines; empty when they agree. */
    public static List<String> drift(String markdown, Map<String, List<Operation>> byService) {
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, List<Operation>> e : byService.entrySet()) {
            Set<String> served = new TreeSet<>();
            e.getValue().forEach(op -> served.add(op.key()));
            Set<String> documented = documented(markdown, e.getKey());
            for (String key : served) {
                if (!documented.contains(key)) {
                    problems.add(e.getKey() + " serves " + key + ", which docs/api.md does not list");
                }
            }
            for (String key : documented) {
                if (!served.contains(key)) {
                    problems.add("docs/api.md lists " + e.getKey() + " " + key + ", which its OpenAPI document lacks");
                }
            }
        }
        return problems;
    }

    /** Keeps insertion order: the doc's sections come in this order. */
    public static Map<String, List<Operation>> ordered() {
        return new LinkedHashMap<>();
    }
}
