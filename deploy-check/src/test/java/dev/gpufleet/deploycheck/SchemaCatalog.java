package dev.gpufleet.deploycheck;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The JSON schemas under src/test/resources/schemas (see the README there), looked up by apiVersion and kind.
 * Core kinds come from the "standalone-strict" Kubernetes schemas; CRDs from the operators' published schemas.
 * Every object schema that lists its properties but says nothing about others is closed here (as if
 * {@code additionalProperties: false}), unless it is marked {@code x-kubernetes-preserve-unknown-fields}: a
 * misspelt field must fail, and CRDs leave e.g. their top level open. Metadata of every object is also checked
 * against the strict ObjectMeta schema, because CRD schemas accept any metadata.
 */
public final class SchemaCatalog {
    static final String K8S = "schemas/kubernetes-v1.30.10/";
    static final String CRDS = "schemas/crds/";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, Optional<JsonSchema>> cache = new ConcurrentHashMap<>();
    private final JsonSchemaFactory factory = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V7);
    private final SchemaValidatorsConfig config = SchemaValidatorsConfig.builder()
            .formatAssertionsEnabled(false) // int32, int-or-string, quantity... are Kubernetes formats, not JSON Schema's
            .build();
    private final JsonSchema objectMeta = load(K8S + "objectmeta-meta-v1.json")
            .orElseThrow(() -> new IllegalStateException("objectmeta-meta-v1.json missing"));

    /** Problems of one object, each naming the object and the JSON path; empty when valid. */
    public List<String> validate(JsonNode object) {
        String apiVersion = object.path("apiVersion").asText();
        String kind = object.path("kind").asText();
        String where = Kustomize.id(object);
        List<String> problems = new ArrayList<>();
        Optional<JsonSchema> schema = schemaFor(apiVersion, kind);
        if (schema.isEmpty()) {
            problems.add(where + ": no schema for kind " + kind + " (apiVersion " + apiVersion + "); known: "
                    + String.join(", ", candidates(apiVersion, kind)) + " under src/test/resources/schemas");
            return problems;
        }
        for (ValidationMessage m : schema.get().validate(object)) {
            problems.add(where + ": " + m.getMessage());
        }
        for (ValidationMessage m : objectMeta.validate(object.path("metadata"))) {
            problems.add(where + ": metadata" + m.getMessage().substring(1));
        }
        return problems;
    }

    public Optional<JsonSchema> schemaFor(String apiVersion, String kind) {
        return cache.computeIfAbsent(apiVersion + " " + kind, key -> {
            for (String path : candidates(apiVersion, kind)) {
                Optional<JsonSchema> s = load(path);
                if (s.isPresent()) {
                    return s;
                }
            }
            return Optional.empty();
        });
    }

    /**
     * Where a kind's schema would be: CRDs as {@code crds/<group>/<kind>_<version>.json} (datreeio's layout), core
     * kinds as {@code <kind>-<first label of group>-<version>.json} (the openapi2jsonschema layout).
     */
    static List<String> candidates(String apiVersion, String kind) {
        String group = apiVersion.contains("/") ? apiVersion.substring(0, apiVersion.indexOf('/')) : "";
        String version = apiVersion.substring(apiVersion.indexOf('/') + 1);
        String k = kind.toLowerCase();
        List<String> out = new ArrayList<>();
        if (group.contains(".") && !group.endsWith(".k8s.io")) {
            out.add(CRDS + group + "/" + k + "_" + version + ".json");
        } else {
            String g = group.isEmpty() ? "" : "-" + group.split("\\.")[0];
            out.add(K8S + k + g + "-" + version + ".json");
        }
        return out;
    }

    private Optional<JsonSchema> load(String resource) {
        try (InputStream in = SchemaCatalog.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                return Optional.empty();
            }
            ObjectNode node = (ObjectNode) JSON.readTree(in);
            node.remove("$schema"); // "http://json-schema.org/schema#" names no draft; the factory's V7 is used
            close(node);
            return Optional.of(factory.getSchema(node, config));
        } catch (IOException e) {
            throw new UncheckedIOException(resource, e);
        }
    }

    /**
     * Walks schema positions only, so a field that happens to be called "properties" is not mistaken for one.
     * Branches of allOf/anyOf/oneOf stay as they are: Strimzi uses them for "value or valueFrom" constraints
     * that list one property each, and closing those would reject every valid object.
     */
    static void close(JsonNode schema) {
        if (!(schema instanceof ObjectNode o)) {
            return;
        }
        if (o.has("properties") && !o.has("additionalProperties")
                && !o.path("x-kubernetes-preserve-unknown-fields").asBoolean(false)) {
            o.put("additionalProperties", false);
        }
        for (String key : List.of("properties", "definitions", "patternProperties")) {
            o.path(key).forEach(SchemaCatalog::close);
        }
        for (String key : List.of("items", "additionalProperties")) {
            JsonNode n = o.get(key);
            if (n != null && n.isArray()) {
                n.forEach(SchemaCatalog::close);
            } else if (n != null) {
                close(n);
            }
        }
    }
}
