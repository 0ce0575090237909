package dev.gpufleet.worker.backend;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.params.provider.Arguments.arguments;

class LlamaBoxCommandTest {
    private static final List<String> BINARY = List.of("/usr/local/bin/llama-box");
    private static final String FIXED = "/usr/local/bin/llama-box --host 0.0.0.0 --port 40001 -m /models/q.gguf "
            + "--alias qwen";

    private static BackendCommand build(boolean gpus, List<String> categories, List<String> parameters) {
        return LlamaBoxCommand.build(new LlamaBoxCommand.Inputs(BINARY, "0.0.0.0", 40001, "/models/q.gguf", "qwen",
                gpus, categories, parameters));
    }

    static Stream<Arguments> commandLines() {
        return Stream.of(
                arguments("CPU only: no layers on GPUs", false, List.of(), List.of(),
                        FIXED + " -c 8192 -np 4 -ngl 0", List.of()),
                arguments("with GPUs: every layer on them", true, List.of("llm"), List.of(),
                        FIXED + " -c 8192 -np 4 -ngl 999", List.of()),
                arguments("embedding category", false, List.of("embedding"), List.of(),
                        FIXED + " -c 8192 -np 4 -ngl 0 --embeddings", List.of()),
                arguments("embedding category, any case, given by the user too: once", false, List.of("Embedding"),
                        List.of("--embeddings"), FIXED + " -c 8192 -np 4 -ngl 0 --embeddings", List.of()),
                arguments("reranker category (the seed's reranker models): --rerank", false, List.of("reranker"),
                        List.of(), FIXED + " -c 8192 -np 4 -ngl 0 --rerank", List.of()),
                arguments("image category (the seed's diffusion models): --images", true, List.of("image"),
                        List.of(), FIXED + " -c 8192 -np 4 -ngl 999 --images", List.of()),
                arguments("user's --ctx-size=N replaces the default, as two words", false, List.of(),
                        List.of("--ctx-size=4096"), FIXED + " -np 4 -ngl 0 --ctx-size 4096", List.of()),
                arguments("user's -c N", false, List.of(), List.of("-c", "2048"),
                        FIXED + " -np 4 -ngl 0 -c 2048", List.of()),
                arguments("user's -np and -ngl in one word with a space", true, List.of(),
                        List.of("-np 8", "-ngl 20"), FIXED + " -c 8192 -np 8 -ngl 20", List.of()),
                arguments("long spellings --parallel, --n-gpu-layers", true, List.of(),
                        List.of("--parallel", "2", "--n-gpu-layers=10"),
                        FIXED + " -c 8192 --parallel 2 --n-gpu-layers 10", List.of()),
                arguments("--gpu-layers counts as -ngl", true, List.of(), List.of("--gpu-layers", "5"),
                        FIXED + " -c 8192 -np 4 --gpu-layers 5", List.of()),
                arguments("switches and other flags pass through in order", false, List.of(),
                        List.of("--flash-attn", "--seed", "42", "--temp=0.7", "--no-mmap"),
                        FIXED + " -c 8192 -np 4 -ngl 0 --flash-attn --seed 42 --temp 0.7 --no-mmap", List.of()),
                arguments("a negative number is a value, not a flag", false, List.of(),
                        List.of("--seed", "-1", "--n-predict", "-2"),
                        FIXED + " -c 8192 -np 4 -ngl 0 --seed -1 --n-predict -2", List.of()),
                arguments("a value keeps its own '='", false, List.of(), List.of("--override-kv=a=int:1"),
                        FIXED + " -c 8192 -np 4 -ngl 0 --override-kv a=int:1", List.of()),
                arguments("user's --port and --host are ignored with a warning", false, List.of(),
                        List.of("--port", "9000", "--host=10.0.0.1", "--seed", "7"),
                        FIXED + " -c 8192 -np 4 -ngl 0 --seed 7",
                        List.of("backend parameter --port was ignored: the agent assigns the port from "
                                        + "gpufleet.worker.port-range",
                                "backend parameter --host was ignored: the agent sets the listen address "
                                        + "(gpufleet.worker.backend-host)")),
                arguments("user's model path and alias are ignored too", false, List.of(),
                        List.of("-m /tmp/other.gguf", "--alias", "x"), FIXED + " -c 8192 -np 4 -ngl 0",
                        List.of("backend parameter -m was ignored: the agent passes the model file of the model's "
                                        + "source",
                                "backend parameter --alias was ignored: the alias is the model name clients ask "
                                        + "for")),
                arguments("blank parameters are skipped", false, List.of(), List.of(" ", "", "--verbose"),
                        FIXED + " -c 8192 -np 4 -ngl 0 --verbose", List.of()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("commandLines")
    void buildsTheCommandLine(String description, boolean gpus, List<String> categories, List<String> parameters,
                              String expected, List<String> warnings) {
        BackendCommand command = build(gpus, categories, parameters);

        assertEquals(expected, String.join(" ", command.args()));
        assertEquals(warnings, command.warnings());
    }

    @Test
    void aValueWithSpacesStaysOneArgument() {
        BackendCommand command = build(false, List.of(), List.of("--chat-template", "{{ a b }}",
                "--system-prompt=be brief"));

        List<String> tail = command.args().subList(command.args().size() - 4, command.args().size());
        assertEquals(List.of("--chat-template", "{{ a b }}", "--system-prompt", "be brief"), tail);
    }

    @Test
    void aMultiWordBinaryComesFirst() {
        BackendCommand command = LlamaBoxCommand.build(new LlamaBoxCommand.Inputs(
                List.of("/usr/bin/java", "-jar", "/x/llamacpp-server.jar"), "127.0.0.1", 40000, "/m.gguf", "demo",
                false, List.of(), List.of()));

        assertEquals(List.of("/usr/bin/java", "-jar", "/x/llamacpp-server.jar", "--host", "127.0.0.1", "--port",
                "40000", "-m", "/m.gguf", "--alias", "demo", "-c", "8192", "-np", "4", "-ngl", "0"), command.args());
    }

    @Test
    void redactionMasksApiKeyValuesOnly() {
        List<String> args = new ArrayList<>(List.of("llama-box", "--api-key", "s3cret", "--port", "1",
                "--api-key=other"));
        assertEquals("llama-box --api-key *** --port 1 --api-key=***",
                new BackendCommand(args, List.of()).redacted());
    }
}
