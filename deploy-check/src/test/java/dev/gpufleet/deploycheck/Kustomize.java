package dev.gpufleet.deploycheck;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Renders a kustomization directory the way {@code kubectl kustomize} would, for exactly the subset the project
 * agreed on (CI has no kubectl): {@code resources} (files, and directories holding a kustomization.yaml),
 * {@code namespace}, {@code labels}/{@code commonLabels}, {@code patches} with {@code path} and an optional
 * {@code target} (kind, name), {@code configMapGenerator} with {@code files} (only with
 * {@code generatorOptions.disableNameSuffixHash: true}) and {@code images}. Anything else is an error naming the key,
 * so a feature this renderer does not implement can never be silently ignored.
 *
 * <p>Order, as in kustomize: resources and generated ConfigMaps, then patches, then namespace, labels, images.
 */
public final class Kustomize {
    public static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    static final Set<String> ALLOWED_KEYS = Set.of("apiVersion", "kind", "resources", "namespace", "labels",
            "commonLabels", "patches", "configMapGenerator", "generatorOptions", "images");
    static final Set<String> CLUSTER_SCOPED = Set.of("Namespace", "ClusterRole", "ClusterRoleBinding", "RuntimeClass",
            "CustomResourceDefinition", "PriorityClass", "StorageClass", "PersistentVolume");
    static final Set<String> WORKLOADS = Set.of("Deployment", "DaemonSet", "StatefulSet", "ReplicaSet", "Job");

    private Kustomize() {
    }

    /** Thrown for anything the subset does not cover or that kustomize itself would reject. */
    public static final class KustomizeException extends RuntimeException {
        public KustomizeException(String message) {
            super(message);
        }
    }

    public static List<ObjectNode> render(Path dir) {
        return render(dir.toAbsolutePath().normalize(), new LinkedHashSet<>());
    }

    private static List<ObjectNode> render(Path dir, Set<Path> visiting) {
        if (!visiting.add(dir)) {
            throw new KustomizeException("resource cycle through " + dir);
        }
        Path file = dir.resolve("kustomization.yaml");
        if (!Files.isRegularFile(file)) {
            throw new KustomizeException(dir + " has no kustomization.yaml");
        }
        List<JsonNode> docs = readYaml(file);
        if (docs.size() != 1 || !docs.get(0).isObject()) {
            throw new KustomizeException(file + " must hold one YAML mapping");
        }
        ObjectNode k = (ObjectNode) docs.get(0);
        k.fieldNames().forEachRemaining(key -> {
            if (!ALLOWED_KEYS.contains(key)) {
                throw new KustomizeException(file + ": unsupported kustomization key '" + key + "'; allowed: "
                        + String.join(", ", ALLOWED_KEYS.stream().sorted().toList()));
            }
        });

        List<ObjectNode> objects = new ArrayList<>();
        for (JsonNode entry : array(k, "resources", file)) {
            String ref = entry.asText();
            if (ref.contains("://") || ref.startsWith("github.com/")) {
                throw new KustomizeException(file + ": remote resource '" + ref + "' is not supported");
            }
            Path p = dir.resolve(ref).normalize();
            if (Files.isDirectory(p)) {
                addAll(objects, render(p, visiting), file);
            } else if (Files.isRegularFile(p)) {
                underRoot(dir, ref, file, "resource file");
                List<ObjectNode> loaded = new ArrayList<>();
                for (JsonNode doc : readYaml(p)) {
                    if (doc == null || doc.isNull() || doc.isMissingNode()) {
                        continue;
                    }
                    if (!doc.isObject() || !doc.hasNonNull("kind") || !doc.hasNonNull("apiVersion")
                            || !doc.path("metadata").hasNonNull("name")) {
                        throw new KustomizeException(p + ": every document needs apiVersion, kind and metadata.name");
                    }
                    loaded.add((ObjectNode) doc);
                }
                addAll(objects, loaded, file);
            } else {
                throw new KustomizeException(file + ": resource '" + ref + "' does not exist (" + p + ")");
            }
        }
        addAll(objects, generateConfigMaps(k, dir, file), file);

        for (JsonNode patch : array(k, "patches", file)) {
            applyPatch(objects, patch, dir, file);
        }
        if (k.hasNonNull("namespace")) {
            setNamespace(objects, k.get("namespace").asText());
        }
        if (k.has("commonLabels")) {
            addLabels(objects, stringMap(k.get("commonLabels"), file, "commonLabels"), true, true);
        }
        for (JsonNode l : array(k, "labels", file)) {
            onlyKeys(l, file, "labels[]", "pairs", "includeSelectors", "includeTemplates");
            boolean selectors = l.path("includeSelectors").asBoolean(false);
            addLabels(objects, stringMap(l.get("pairs"), file, "labels[].pairs"), selectors,
                    selectors || l.path("includeTemplates").asBoolean(false));
        }
        for (JsonNode image : array(k, "images", file)) {
            onlyKeys(image, file, "images[]", "name", "newName", "newTag", "digest");
            if (!image.hasNonNull("name")) {
                throw new KustomizeException(file + ": images[] entry needs a name");
            }
            for (ObjectNode o : objects) {
                setImages(o, image);
            }
        }
        visiting.remove(dir);
        return objects;
    }

    public static List<JsonNode> readYaml(Path file) {
        try (JsonParser parser = YAML.getFactory().createParser(file.toFile());
             MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(parser)) {
            List<JsonNode> out = new ArrayList<>();
            while (it.hasNext()) {
                JsonNode doc = it.next();
                if (doc != null && !doc.isNull() && !doc.isMissingNode()) { // "---" at the end, or comments only
                    out.add(doc);
                }
            }
            return out;
        } catch (IOException e) {
            throw new KustomizeException("cannot parse " + file + ": " + e.getMessage());
        }
    }

    public static String id(JsonNode o) {
        String ns = o.path("metadata").path("namespace").asText("");
        return o.path("kind").asText() + "/" + (ns.isEmpty() ? "" : ns + "/") + o.path("metadata").path("name").asText();
    }

    private static String group(JsonNode o) {
        String api = o.path("apiVersion").asText();
        return api.contains("/") ? api.substring(0, api.indexOf('/')) : "";
    }

    /** kustomize's default load restrictor: files (not kustomization directories) must lie in or below the root. */
    private static Path underRoot(Path dir, String ref, Path file, String what) {
        Path p = dir.resolve(ref).normalize();
        if (!p.startsWith(dir)) {
            throw new KustomizeException(file + ": " + what + " '" + ref + "' is not in or below " + dir
                    + " (kustomize's load restrictor rejects it; move the file or make its folder a kustomization)");
        }
        return p;
    }

    private static void addAll(List<ObjectNode> into, List<ObjectNode> more, Path file) {
        for (ObjectNode o : more) {
            for (ObjectNode existing : into) {
                if (id(existing).equals(id(o)) && group(existing).equals(group(o))) {
                    throw new KustomizeException(file + ": " + id(o) + " is defined twice");
                }
            }
            into.add(o);
        }
    }

    private static Iterable<JsonNode> array(ObjectNode k, String key, Path file) {
        JsonNode n = k.get(key);
        if (n == null || n.isNull()) {
            return List.of();
        }
        if (!n.isArray()) {
            throw new KustomizeException(file + ": '" + key + "' must be a list");
        }
        return n;
    }

    private static void onlyKeys(JsonNode n, Path file, String where, String... allowed) {
        if (!n.isObject()) {
            throw new KustomizeException(file + ": " + where + " must be a mapping");
        }
        Set<String> ok = Set.of(allowed);
        n.fieldNames().forEachRemaining(f -> {
            if (!ok.contains(f)) {
                throw new KustomizeException(file + ": unsupported key '" + f + "' in " + where + "; allowed: "
                        + String.join(", ", allowed));
            }
        });
    }

    private static Map<String, String> stringMap(JsonNode n, Path file, String where) {
        if (n == null || !n.isObject()) {
            throw new KustomizeException(file + ": " + where + " must be a mapping of strings");
        }
        Map<String, String> m = new LinkedHashMap<>();
        n.fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue().asText()));
        return m;
    }

    private static List<ObjectNode> generateConfigMaps(ObjectNode k, Path dir, Path file) {
        JsonNode gens = k.get("configMapGenerator");
        if (gens == null || gens.isNull()) {
            if (k.has("generatorOptions")) {
                onlyKeys(k.get("generatorOptions"), file, "generatorOptions", "disableNameSuffixHash");
            }
            return List.of();
        }
        JsonNode options = k.path("generatorOptions");
        if (!options.path("disableNameSuffixHash").asBoolean(false)) {
            throw new KustomizeException(file + ": configMapGenerator needs generatorOptions: "
                    + "{disableNameSuffixHash: true} (hash suffixes are not supported)");
        }
        onlyKeys(options, file, "generatorOptions", "disableNameSuffixHash");
        List<ObjectNode> out = new ArrayList<>();
        for (JsonNode g : array(k, "configMapGenerator", file)) {
            onlyKeys(g, file, "configMapGenerator[]", "name", "files");
            if (!g.hasNonNull("name")) {
                throw new KustomizeException(file + ": configMapGenerator[] entry needs a name");
            }
            ObjectNode cm = JsonNodeFactory.instance.objectNode();
            cm.put("apiVersion", "v1").put("kind", "ConfigMap");
            cm.putObject("metadata").put("name", g.get("name").asText());
            ObjectNode data = cm.putObject("data");
            for (JsonNode f : g.path("files")) {
                String spec = f.asText();
                String key = spec.contains("=") ? spec.substring(0, spec.indexOf('=')) : null;
                Path p = underRoot(dir, spec.contains("=") ? spec.substring(spec.indexOf('=') + 1) : spec, file,
                        "configMapGenerator file");
                if (!Files.isRegularFile(p)) {
                    throw new KustomizeException(file + ": configMapGenerator file '" + spec + "' does not exist");
                }
                try {
                    data.put(key != null ? key : p.getFileName().toString(), Files.readString(p));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            out.add(cm);
        }
        return out;
    }

    private static void applyPatch(List<ObjectNode> objects, JsonNode entry, Path dir, Path file) {
        onlyKeys(entry, file, "patches[]", "path", "target");
        if (!entry.hasNonNull("path")) {
            throw new KustomizeException(file + ": patches[] entry needs a path (inline patches are not supported)");
        }
        Path p = underRoot(dir, entry.get("path").asText(), file, "patch");
        if (!Files.isRegularFile(p)) {
            throw new KustomizeException(file + ": patch '" + entry.get("path").asText() + "' does not exist");
        }
        List<JsonNode> docs = readYaml(p).stream().filter(d -> d != null && !d.isNull()).toList();
        if (docs.size() != 1 || !docs.get(0).isObject()) {
            throw new KustomizeException(p + ": a patch file must hold one strategic-merge patch (a mapping)");
        }
        JsonNode patch = docs.get(0);
        List<ObjectNode> targets = new ArrayList<>();
        if (entry.has("target")) {
            JsonNode t = entry.get("target");
            onlyKeys(t, file, "patches[].target", "kind", "name");
            for (ObjectNode o : objects) {
                if ((!t.has("kind") || t.get("kind").asText().equals(o.path("kind").asText()))
                        && (!t.has("name") || t.get("name").asText().equals(o.path("metadata").path("name").asText()))) {
                    targets.add(o);
                }
            }
        } else {
            for (ObjectNode o : objects) {
                if (patch.path("apiVersion").asText().equals(o.path("apiVersion").asText())
                        && patch.path("kind").asText().equals(o.path("kind").asText())
                        && patch.path("metadata").path("name").asText().equals(o.path("metadata").path("name").asText())) {
                    targets.add(o);
                }
            }
        }
        if (targets.isEmpty()) {
            throw new KustomizeException(file + ": patch " + p.getFileName() + " matches no resource ("
                    + (entry.has("target") ? "target " + entry.get("target") : patch.path("apiVersion").asText() + " "
                    + patch.path("kind").asText() + " " + patch.path("metadata").path("name").asText()) + ")");
        }
        for (ObjectNode o : targets) {
            ObjectNode body = patch.deepCopy();
            if (entry.has("target")) {
                // kustomize keeps the target's identity when a patch is applied through a target
                body.remove("apiVersion");
                body.remove("kind");
                if (body.get("metadata") instanceof ObjectNode m) {
                    m.remove("name");
                    m.remove("namespace");
                }
            }
            merge(o, body);
        }
    }

    /**
     * Strategic-merge as agreed: maps merge deeply, null deletes a key, lists whose items are all maps with a
     * {@code name} merge item by item on that name (new names are appended), every other list is replaced.
     */
    static void merge(ObjectNode target, JsonNode patch) {
        Iterator<Map.Entry<String, JsonNode>> it = patch.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode value = e.getValue();
            JsonNode current = target.get(e.getKey());
            if (value.isNull()) {
                target.remove(e.getKey());
            } else if (value.isObject() && current instanceof ObjectNode currentObject) {
                merge(currentObject, value);
            } else if (value.isArray() && current instanceof ArrayNode currentArray
                    && namedMaps(currentArray) && namedMaps((ArrayNode) value)) {
                for (JsonNode item : value) {
                    ObjectNode existing = null;
                    for (JsonNode c : currentArray) {
                        if (c.get("name").asText().equals(item.get("name").asText())) {
                            existing = (ObjectNode) c;
                        }
                    }
                    if (existing != null) {
                        merge(existing, item);
                    } else {
                        currentArray.add(item.deepCopy());
                    }
                }
            } else {
                target.set(e.getKey(), value.deepCopy());
            }
        }
    }

    private static boolean namedMaps(ArrayNode a) {
        for (JsonNode n : a) {
            if (!n.isObject() || !n.hasNonNull("name")) {
                return false;
            }
        }
        return true;
    }

    private static void setNamespace(List<ObjectNode> objects, String namespace) {
        Set<String> serviceAccounts = new LinkedHashSet<>();
        for (ObjectNode o : objects) {
            if ("ServiceAccount".equals(o.path("kind").asText())) {
                serviceAccounts.add(o.path("metadata").path("name").asText());
            }
        }
        for (ObjectNode o : objects) {
            if (CLUSTER_SCOPED.contains(o.path("kind").asText())) {
                continue;
            }
            ((ObjectNode) o.get("metadata")).put("namespace", namespace);
            if (o.path("kind").asText().endsWith("RoleBinding")) {
                for (JsonNode s : o.path("subjects")) {
                    if ("ServiceAccount".equals(s.path("kind").asText())
                            && serviceAccounts.contains(s.path("name").asText())) {
                        ((ObjectNode) s).put("namespace", namespace);
                    }
                }
            }
        }
    }

    /**
     * Adds labels to metadata; with {@code templates} also to pod templates; with {@code selectors} also to the
     * selectors kustomize's commonLabels touches (workload, Service, PodDisruptionBudget, NetworkPolicy selectors).
     */
    private static void addLabels(List<ObjectNode> objects, Map<String, String> labels, boolean selectors,
                                  boolean templates) {
        for (ObjectNode o : objects) {
            String kind = o.path("kind").asText();
            put(o, labels, "metadata", "labels");
            if (WORKLOADS.contains(kind)) {
                if (templates) {
                    put(o, labels, "spec", "template", "metadata", "labels");
                }
                if (selectors) {
                    put(o, labels, "spec", "selector", "matchLabels");
                }
            }
            if (!selectors) {
                continue;
            }
            switch (kind) {
                case "Service" -> put(o, labels, "spec", "selector");
                case "PodDisruptionBudget" -> {
                    if (o.path("spec").has("selector")) {
                        put(o, labels, "spec", "selector", "matchLabels");
                    }
                }
                case "NetworkPolicy" -> {
                    if (o.path("spec").has("podSelector")) {
                        put(o, labels, "spec", "podSelector", "matchLabels");
                    }
                    for (String dir : List.of("ingress/from", "egress/to")) {
                        String[] parts = dir.split("/");
                        for (JsonNode rule : o.path("spec").path(parts[0])) {
                            for (JsonNode peer : rule.path(parts[1])) {
                                if (peer.has("podSelector") && peer instanceof ObjectNode po) {
                                    put(po, labels, "podSelector", "matchLabels");
                                }
                            }
                        }
                    }
                }
                default -> {
                }
            }
        }
    }

    private static void put(ObjectNode root, Map<String, String> labels, String... path) {
        ObjectNode n = root;
        for (String p : path) {
            JsonNode child = n.get(p);
            if (child == null || child.isNull()) {
                child = n.putObject(p);
            }
            if (!(child instanceof ObjectNode co)) {
                throw new KustomizeException(id(root) + ": " + String.join(".", path) + " is not a mapping");
            }
            n = co;
        }
        ObjectNode target = n;
        labels.forEach(target::put);
    }

    private static void setImages(JsonNode node, JsonNode rule) {
        if (node.isObject()) {
            node.fields().forEachRemaining(e -> {
                if ((e.getKey().equals("containers") || e.getKey().equals("initContainers")) && e.getValue().isArray()) {
                    for (JsonNode c : e.getValue()) {
                        if (c.hasNonNull("image")) {
                            ((ObjectNode) c).put("image", rewriteImage(c.get("image").asText(), rule));
                        }
                    }
                }
                setImages(e.getValue(), rule);
            });
        } else if (node.isArray()) {
            node.forEach(n -> setImages(n, rule));
        }
    }

    static String rewriteImage(String image, JsonNode rule) {
        String name = image;
        String digest = null;
        String tag = null;
        int at = name.indexOf('@');
        if (at >= 0) {
            digest = name.substring(at + 1);
            name = name.substring(0, at);
        }
        int colon = name.lastIndexOf(':');
        if (colon > name.lastIndexOf('/')) {
            tag = name.substring(colon + 1);
            name = name.substring(0, colon);
        }
        if (!name.equals(rule.get("name").asText())) {
            return image;
        }
        if (rule.hasNonNull("newName")) {
            name = rule.get("newName").asText();
        }
        if (rule.hasNonNull("digest")) {
            return name + "@" + rule.get("digest").asText();
        }
        if (rule.hasNonNull("newTag")) {
            return name + ":" + rule.get("newTag").asText();
        }
        return name + (tag != null ? ":" + tag : "") + (digest != null ? "@" + digest : "");
    }
}
