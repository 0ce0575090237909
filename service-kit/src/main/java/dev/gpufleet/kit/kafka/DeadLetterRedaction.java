package dev.gpufleet.kit.kafka;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gpufleet.events.EventCodec;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What of a message may be copied into a dead letter. A model's {@code env} (in {@code ModelChanged.spec} and in an
 * instance's {@code launchPlan}) holds the user's environment for the backend: hub tokens, API keys. Every value of
 * every {@code env} object is replaced by {@link #REDACTED}; the names stay, so a reader still sees what was set.
 */
final class DeadLetterRedaction {
    static final String REDACTED = "<redacted>";
    static final String WITHHELD = "<withheld: not JSON, and it names an env that could not be redacted>";
    private static final Pattern ENV_OBJECT = Pattern.compile("\"env\"\\s*:\\s*\\{[^{}]*}");
    private static final Pattern ENV_NAME = Pattern.compile("\"env\"\\s*:");

    private DeadLetterRedaction() {
    }

    /** @return the value with env values redacted; unchanged when it has none; null for null */
    static String redact(String value) {
        if (value == null || !ENV_NAME.matcher(value).find()) {
            return value;
        }
        JsonNode root;
        try {
            root = EventCodec.mapper().readTree(value);
        } catch (JsonProcessingException e) {
            root = null;
        }
        if (root != null && (root.isObject() || root.isArray())) {
            redactEnvs(root);
            try {
                return EventCodec.mapper().writeValueAsString(root);
            } catch (JsonProcessingException e) {
                return WITHHELD;
            }
        }
        // not JSON: redact each env object it still holds; if an env is left that is not one, withhold the text
        Matcher objects = ENV_OBJECT.matcher(value);
        Matcher names = ENV_NAME.matcher(value);
        long objectCount = objects.results().count();
        long nameCount = names.results().count();
        return objectCount == nameCount ? ENV_OBJECT.matcher(value).replaceAll("\"env\": \"" + REDACTED + "\"")
                : WITHHELD;
    }

    private static void redactEnvs(JsonNode root) {
        List<JsonNode> toVisit = new ArrayList<>(List.of(root));
        while (!toVisit.isEmpty()) {
            JsonNode node = toVisit.remove(toVisit.size() - 1);
            if (node instanceof ObjectNode object) {
                List<String> fields = new ArrayList<>();
                object.fieldNames().forEachRemaining(fields::add);
                for (String field : fields) {
                    JsonNode child = object.get(field);
                    if (!"env".equals(field)) {
                        toVisit.add(child);
                    } else if (child instanceof ObjectNode env) {
                        List<String> names = new ArrayList<>();
                        env.fieldNames().forEachRemaining(names::add);
                        names.forEach(name -> env.put(name, REDACTED));
                    } else if (!child.isNull()) {
                        object.put(field, REDACTED);
                    }
                }
            } else if (node instanceof ArrayNode array) {
                array.forEach(toVisit::add);
            }
        }
    }
}
