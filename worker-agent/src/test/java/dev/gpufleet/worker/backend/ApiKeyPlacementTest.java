package dev.gpufleet.worker.backend;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Which GGUF servers get the instance key in the environment rather than on their command line. */
class ApiKeyPlacementTest {
    @ParameterizedTest(name = "{0}: environment {1}")
    @CsvSource(delimiter = '|', value = {
            "/usr/local/bin/llama-server                          | true",
            "llama-server                                         | true",
            "/opt/bin/llamacpp-server                             | true",
            "/usr/bin/java -jar /x/llamacpp-server.jar            | true",
            "java -Xmx1g -jar /x/llamacpp-server-0.1.0.jar        | true",
            "/usr/local/bin/llama-box                             | false",
            "/work/bin/my-wrapper --serve                         | false",
            "java -jar /x/other.jar                               | false",
    })
    void llamaServerAndLlamacppServerReadLlamaApiKey(String command, boolean fromEnvironment) {
        assertEquals(fromEnvironment, LaunchPlanner.readsKeyFromEnvironment(List.of(command.split(" "))));
    }

    @org.junit.jupiter.api.Test
    void theKeyJoinsTheEnvironmentAndNothingElseChanges() {
        BackendEnvironment environment = new BackendEnvironment(Map.of("CUDA_VISIBLE_DEVICES", "0"),
                List.of("a warning"), null);
        BackendEnvironment keyed = LaunchPlanner.withApiKey(environment, LaunchPlanner.LLAMA_API_KEY, "gpf-k");
        assertEquals(Map.of("CUDA_VISIBLE_DEVICES", "0", "LLAMA_API_KEY", "gpf-k"), keyed.variables());
        assertEquals(List.of("a warning"), keyed.warnings());
        assertEquals(environment, LaunchPlanner.withApiKey(environment, LaunchPlanner.LLAMA_API_KEY, null));
    }
}
