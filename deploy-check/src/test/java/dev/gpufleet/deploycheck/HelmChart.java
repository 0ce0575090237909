package dev.gpufleet.deploycheck;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Renders the chart with the Helm engine itself (helm-java embeds Helm's Go library), as {@code helm template}
 * would, and parses the output into objects.
 */
final class HelmChart {
    static final Path CHART = Path.of("..", "deploy", "helm", "gpufleet");
    static final String RELEASE = "gpufleet";
    static final String NAMESPACE = "gpufleet";

    private HelmChart() {
    }

    /** The chart rendered with its defaults plus the given values files (in this order; later ones win). */
    static String template(Path chart, List<String> valuesFiles) {
        return template(chart, valuesFiles, java.util.Map.of());
    }

    /** As {@code helm template} with {@code -f} for each values file and {@code --set} for each of sets. */
    static String template(Path chart, List<String> valuesFiles, java.util.Map<String, Object> sets) {
        if (!Files.isDirectory(chart)) {
            throw new AssertionError(chart.toAbsolutePath().normalize() + " does not exist: deploy-check renders the "
                    + "Helm chart deploy/helm/gpufleet");
        }
        TemplateCommand command = new Helm(chart).template().withName(RELEASE).withNamespace(NAMESPACE);
        for (String file : valuesFiles) {
            command = command.withValuesFile(chart.resolve(file));
        }
        for (java.util.Map.Entry<String, Object> set : sets.entrySet()) {
            command = command.set(set.getKey(), set.getValue());
        }
        return command.call();
    }

    static List<ObjectNode> render(Path chart, List<String> valuesFiles) {
        return parse(template(chart, valuesFiles));
    }

    /**
     * What an install creates: the rendered objects plus the Secrets the chart makes as pre-install hooks, which
     * helm-java's template leaves out; those are taken from a second rendering with secrets.asInstallHook=false.
     */
    static List<ObjectNode> install(Path chart, List<String> valuesFiles) {
        List<ObjectNode> objects = render(chart, valuesFiles);
        java.util.Set<String> seen = new java.util.HashSet<>();
        objects.forEach(o -> seen.add(Kustomize.id(o)));
        for (ObjectNode o : parse(template(chart, valuesFiles, java.util.Map.of("secrets.asInstallHook", false)))) {
            if (o.path("kind").asText().equals("Secret") && seen.add(Kustomize.id(o))) {
                objects.add(o);
            }
        }
        return objects;
    }

    static List<ObjectNode> parse(String yaml) {
        List<ObjectNode> out = new ArrayList<>();
        try (JsonParser parser = Kustomize.YAML.getFactory().createParser(yaml);
             MappingIterator<JsonNode> docs = Kustomize.YAML.readValues(parser, JsonNode.class)) {
            while (docs.hasNext()) {
                JsonNode doc = docs.next();
                if (doc instanceof ObjectNode o && o.size() > 0) {
                    out.add(o);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("the rendered chart is not YAML", e);
        }
        return out;
    }
}
