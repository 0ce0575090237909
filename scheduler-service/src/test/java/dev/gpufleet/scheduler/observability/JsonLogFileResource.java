package dev.gpufleet.scheduler.observability;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * JSON log lines, written to a file of the test's own ({@code test.json-log}) so a test can read them back: the same
 * formatter as {@code quarkus.log.console.json.enabled=true}, on the file handler.
 */
public class JsonLogFileResource implements QuarkusTestResourceLifecycleManager {
    @Override
    public Map<String, String> start() {
        try {
            Files.createDirectories(Path.of("target"));
            Path file = Files.createTempFile(Path.of("target"), "json-log", ".log").toAbsolutePath();
            return Map.of(
                    "quarkus.log.file.enabled", "true",
                    "quarkus.log.file.path", file.toString(),
                    "quarkus.log.file.json.enabled", "true",
                    "test.json-log", file.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void stop() {
    }
}
