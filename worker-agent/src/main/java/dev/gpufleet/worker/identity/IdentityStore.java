package dev.gpufleet.worker.identity;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gpufleet.worker.AtomicFiles;
import dev.gpufleet.worker.StateFileException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * Keeps the worker's identity in {@code <data-dir>/identity.json}: created on first start, reused afterwards, so a
 * worker that comes back keeps its id (DESIGN §3). A configured name replaces the stored one; the id never changes.
 * Uses Jackson's tree model only (no reflection), which keeps the agent native-image friendly.
 */
public final class IdentityStore {
    public static final String FILE_NAME = "identity.json";

    private static final ObjectMapper JSON = new ObjectMapper();

    private IdentityStore() {
    }

    /**
     * @param configuredName the name from configuration, if set; it wins over the stored one
     * @param defaultName    the name for a new identity when none is configured (the hostname)
     */
    public static WorkerIdentity loadOrCreate(Path dataDir, Optional<String> configuredName,
                                              Supplier<String> defaultName, Clock clock) {
        Path file = dataDir.resolve(FILE_NAME);
        Optional<String> wantedName = configuredName.map(String::trim).filter(n -> !n.isEmpty());
        Optional<WorkerIdentity> stored = read(file);
        if (stored.isEmpty()) {
            WorkerIdentity created = new WorkerIdentity(UUID.randomUUID().toString(),
                    wantedName.orElseGet(defaultName));
            write(file, created, clock);
            return created;
        }
        WorkerIdentity identity = stored.get();
        if (wantedName.isPresent() && !wantedName.get().equals(identity.name())) {
            identity = new WorkerIdentity(identity.workerId(), wantedName.get());
            write(file, identity, clock);
        }
        return identity;
    }

    static Optional<WorkerIdentity> read(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new StateFileException("Cannot read the worker identity file " + file + ": " + e
                    + ". Check that gpufleet.worker.data-dir (GPUFLEET_WORKER_DATA_DIR) is a readable directory.");
        }
        if (text.isBlank()) {
            throw unusable(file, "it is empty");
        }
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw unusable(file, "not JSON (" + e.getOriginalMessage() + ")");
        }
        if (root == null || !root.isObject()) {
            throw unusable(file, "not a JSON object");
        }
        String workerId = text(root, "workerId", file);
        try {
            UUID.fromString(workerId);
        } catch (IllegalArgumentException e) {
            throw unusable(file, "workerId '" + workerId + "' is not a UUID");
        }
        return Optional.of(new WorkerIdentity(workerId, text(root, "name", file)));
    }

    private static String text(JsonNode root, String field, Path file) {
        JsonNode node = root.get(field);
        if (node == null || !node.isTextual() || node.asText().isBlank()) {
            throw unusable(file, "field '" + field + "' is missing or not a non-empty string");
        }
        return node.asText();
    }

    private static void write(Path file, WorkerIdentity identity, Clock clock) {
        ObjectNode root = JSON.createObjectNode()
                .put("workerId", identity.workerId())
                .put("name", identity.name())
                .put("updatedAt", clock.instant().toString());
        try {
            Files.createDirectories(file.getParent());
            AtomicFiles.write(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n");
        } catch (IOException e) {
            throw new StateFileException("Cannot write the worker identity file " + file + ": " + e
                    + ". Check that gpufleet.worker.data-dir (GPUFLEET_WORKER_DATA_DIR) is writable.");
        }
    }

    private static StateFileException unusable(Path file, String why) {
        return new StateFileException("The worker identity file " + file + " is unusable: " + why
                + ". Repair it, or delete it to register this host as a new worker (with a new id).");
    }
}
