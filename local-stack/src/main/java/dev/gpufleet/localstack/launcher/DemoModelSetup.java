package dev.gpufleet.localstack.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gpufleet.demomodel.DemoModel;
import dev.gpufleet.demomodel.Preset;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Optional;

/**
 * The embedded default's demo: a generated GGUF model (random weights, real llama.cpp inference) registered under
 * {@link #MODEL_NAME}, and the wait until one of its instances runs.
 */
final class DemoModelSetup {
    static final String MODEL_NAME = "demo";

    private final LocalStack stack;
    private final AdminClient admin;
    private final PrintStream out;

    DemoModelSetup(LocalStack stack, PrintStream out) {
        this.stack = stack;
        this.admin = new AdminClient(stack.clusterToken());
        this.out = out;
    }

    /** Writes the demo model once; written beside and then moved, so an interrupted run leaves no half file. */
    static Path ensureFile(Path dataDir, Preset preset) {
        Path file = dataDir.resolve("models").resolve("gpufleet-" + preset.name().toLowerCase() + ".gguf");
        if (Files.isRegularFile(file)) {
            return file;
        }
        try {
            Files.createDirectories(file.getParent());
            Path partial = file.resolveSibling(file.getFileName() + ".partial");
            DemoModel.write(preset, DemoModel.DEFAULT_SEED, partial);
            Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the demo model to " + file + ": " + e.getMessage(), e);
        }
    }

    /** Registers the model under {@code name} unless a model of that name exists; returns its id. */
    String ensureRegistered(String name, Path file) {
        Optional<String> existing = findModel(name);
        if (existing.isPresent()) {
            return existing.get();
        }
        ObjectNode spec = new ObjectMapper().createObjectNode();
        spec.put("name", name);
        spec.putObject("source").put("type", "local_path").put("path", file.toAbsolutePath().toString());
        spec.put("replicas", 1);
        spec.putArray("backend_parameters").add("--ctx-size=2048");
        return admin.post(stack.registryUrl() + "/api/v1/models", spec.toString()).get("id").asText();
    }

    /** Waits for a RUNNING instance of the model; returns the last instance seen (RUNNING, or why not). */
    JsonNode awaitRunning(String modelId, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonNode last = null;
        String lastState = "";
        while (System.nanoTime() < deadline) {
            JsonNode items = admin.get(stack.schedulerUrl() + "/api/v1/instances?model_id=" + modelId).get("items");
            for (JsonNode instance : items) {
                last = instance;
                if ("RUNNING".equals(instance.path("state").asText())) {
                    return instance;
                }
            }
            String state = last == null ? "" : last.path("state").asText();
            if (!state.equals(lastState) && !state.isEmpty()) {
                out.println("  demo model: " + state);
                lastState = state;
            }
            sleep(500);
        }
        return last;
    }

    private Optional<String> findModel(String name) {
        for (int page = 1; ; page++) {
            JsonNode body = admin.get(stack.registryUrl() + "/api/v1/models?per_page=100&page=" + page);
            for (JsonNode model : body.get("items")) {
                if (name.equals(model.path("name").asText())) {
                    return Optional.of(model.get("id").asText());
                }
            }
            if (page >= body.path("pagination").path("total_pages").asInt(1)) {
                return Optional.empty();
            }
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
