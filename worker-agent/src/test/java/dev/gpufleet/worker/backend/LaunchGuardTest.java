package dev.gpufleet.worker.backend;

import dev.gpufleet.events.LaunchPlan;
import dev.gpufleet.events.ModelSource;
import dev.gpufleet.events.spec.LocalRoots;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The agent's second look at a plan: env names that change what runs, model paths outside its roots. */
class LaunchGuardTest {
    private static final LaunchGuard GUARD = new LaunchGuard(LocalRoots.parse("/srv/models")
            .with(Path.of("/var/lib/gpufleet/models")));

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', nullValues = "-", value = {
            "/srv/models/a.gguf                  | OMP_NUM_THREADS   | -",
            "/var/lib/gpufleet/models/hf/a.gguf  | -                 | -",
            "/srv/models/a.gguf                  | LD_PRELOAD        | env LD_PRELOAD is refused on this worker: LD_PRELOAD changes what code",
            "/srv/models/a.gguf                  | PYTHONSTARTUP     | env PYTHONSTARTUP is refused on this worker",
            "/srv/models/a.gguf                  | JAVA_TOOL_OPTIONS | env JAVA_TOOL_OPTIONS is refused on this worker",
            "/srv/models/a.gguf                  | CUDA_VISIBLE_DEVICES | -",
            "/etc/shadow                         | -                 | model path /etc/shadow is refused on this worker: it must lie under one of the local roots /srv/models, /var/lib/gpufleet/models",
            "/srv/models/../../etc/shadow        | -                 | model path /srv/models/../../etc/shadow is refused on this worker: it must lie under",
    })
    void refusesWhatTheRegistryWouldHave(String path, String envName, String expected) {
        LaunchPlan plan = new LaunchPlan("llama-box", null, ModelSource.localPath(path), List.of(),
                envName == null ? Map.of() : Map.of(envName, "x"), List.of("llm"));
        String problem = GUARD.problem(plan).orElse(null);
        if (expected == null) {
            assertEquals(null, problem);
        } else {
            assertEquals(true, problem != null && problem.startsWith(expected), problem);
        }
    }
}
