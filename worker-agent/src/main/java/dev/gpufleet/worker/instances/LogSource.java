package dev.gpufleet.worker.instances;

import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;

/**
 * An instance's backend log on this worker, for the worker's log API.
 *
 * @param ended completes when the backend process writing the log ends (at once when none runs)
 */
public record LogSource(String instanceId, String name, Path file, CompletableFuture<Void> ended) {
}
