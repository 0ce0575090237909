package dev.gpufleet.chaos.standin;

import dev.gpufleet.worker.backend.LlamaBoxCommand;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StandInOptionsTest {

    /** The command line the agent builds for a llama-box instance, as the suite's models configure it. */
    @Test
    void takesTheCommandLineTheAgentBuilds() {
        List<String> command = LlamaBoxCommand.build(new LlamaBoxCommand.Inputs(List.of("llama-box"), "10.254.213.11",
                40001, "/models/standin.gguf", "standin", null, true, null, List.of(), "instance-key", List.of(),
                List.of("--parallel=2"))).args();
        StandInOptions o = StandInOptions.parse(command.subList(1, command.size()));
        assertEquals(new StandInOptions("10.254.213.11", 40001, "/models/standin.gguf", "standin", 2,
                "instance-key"), o);
    }

    @Test
    void takesTheDemoModelsCommandLineWithoutAKey() {
        List<String> command = LlamaBoxCommand.build(new LlamaBoxCommand.Inputs(List.of("llama-box"), "127.0.0.1",
                26421, "/m/demo.gguf", "demo", false, List.of("embedding"), List.of("--ctx-size=2048"))).args();
        StandInOptions o = StandInOptions.parse(command.subList(1, command.size()));
        assertEquals(LlamaBoxCommand.DEFAULT_PARALLEL, o.parallel());
        assertNull(o.apiKey());
        assertTrue(command.contains("--embeddings"), command.toString());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "-m x --flash-attn                 | unknown argument: --flash-attn",
            "-m x --port                       | --port: missing value",
            "-m x --port eighty                | --port: not a number: eighty",
            "-m x -np 0                        | -np: must be at least 1, was 0",
            "--host 127.0.0.1                  | -m: the model file is required",
    })
    void refusesWhatLlamaBoxWouldNotTake(String args, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> StandInOptions.parse(List.of(args.trim().split("\\s+"))));
        assertEquals(message, e.getMessage());
    }
}
