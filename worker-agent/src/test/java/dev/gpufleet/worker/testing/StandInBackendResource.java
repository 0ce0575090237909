package dev.gpufleet.worker.testing;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** A directory with a stand-in {@code llama-box}, made the agent's backend search path. */
public class StandInBackendResource implements QuarkusTestResourceLifecycleManager {
    private Path dir;

    @Override
    public Map<String, String> start() {
        try {
            dir = Files.createTempDirectory("gpufleet-stand-in-bin-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        StandIns.install(dir, "llama-box");
        return Map.of("gpufleet.worker.backend-path", dir.toString());
    }

    @Override
    public void stop() {
        if (dir == null) {
            return;
        }
        TestDirs.deleteTree(dir);
    }
}
