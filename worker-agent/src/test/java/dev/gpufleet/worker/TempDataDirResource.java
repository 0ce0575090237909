package dev.gpufleet.worker;

import dev.gpufleet.worker.testing.TestDirs;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Gives the agent under test a fresh, throwaway data dir, so tests never touch ~/.gpufleet. */
public class TempDataDirResource implements QuarkusTestResourceLifecycleManager {
    private Path dir;

    @Override
    public Map<String, String> start() {
        try {
            dir = Files.createTempDirectory("gpufleet-worker-test-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Map.of("gpufleet.worker.data-dir", dir.toString());
    }

    @Override
    public void stop() {
        if (dir == null) {
            return;
        }
        TestDirs.deleteTree(dir);
    }
}
