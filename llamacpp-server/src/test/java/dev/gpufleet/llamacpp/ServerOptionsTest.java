package dev.gpufleet.llamacpp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ServerOptionsTest {

    private static ServerOptions parse(String commandLine) throws ServerOptions.UsageException {
        return ServerOptions.parse(commandLine.split(" ")).orElseThrow();
    }

    @Test
    void defaultsFollowLlamaBox() throws Exception {
        ServerOptions o = parse("-m /models/qwen.gguf");
        assertEquals(Path.of("/models/qwen.gguf"), o.model());
        assertEquals("127.0.0.1", o.host());
        assertEquals(8080, o.port());
        assertEquals("qwen.gguf", o.modelId());
        assertEquals(OptionalInt.empty(), o.ctxSize());
        assertEquals(1, o.parallel());
        assertFalse(o.embeddings());
        assertFalse(o.rerank());
        assertEquals(Optional.empty(), o.apiKey());
        assertEquals(OptionalInt.empty(), o.threads());
    }

    @Test
    void everySupportedFlagInShortLongAndInlineForm() throws Exception {
        ServerOptions o = parse("--model m.gguf --host 0.0.0.0 --port 0 --alias chat -c 2048 -ngl 99 -np 4"
                + " --embeddings --rerank --api-key s3cret -t 2 --verbose");
        assertEquals(new ServerOptions(Path.of("m.gguf"), "0.0.0.0", 0, Optional.of("chat"), OptionalInt.of(2048),
                OptionalInt.of(99), 4, true, true, Optional.of("s3cret"), OptionalInt.of(2), true), o);
        ServerOptions inline = parse("-m m.gguf --port=9000 --ctx-size=512 --gpu-layers=-1 --parallel=2 --threads=3");
        assertEquals(9000, inline.port());
        assertEquals(OptionalInt.of(512), inline.ctxSize());
        assertEquals(OptionalInt.of(-1), inline.gpuLayers());
        assertEquals(2, inline.parallel());
        assertEquals(OptionalInt.of(3), inline.threads());
        assertEquals("chat", parse("-m m.gguf --alias chat").modelId());
        assertEquals("chat", parse("-m m.gguf -a chat").modelId());
    }

    @Test
    void theKeyComesFromLlamaApiKeyWhenTheCommandLineHasNone() throws Exception {
        java.util.Map<String, String> env = java.util.Map.of("LLAMA_API_KEY", "from-env");
        assertEquals(Optional.of("from-env"), ServerOptions.parse(env, "-m", "m.gguf").orElseThrow().apiKey());
        assertEquals(Optional.of("flag"), ServerOptions.parse(env, "-m", "m.gguf", "--api-key", "flag").orElseThrow()
                .apiKey(), "the command line wins");
        assertEquals(Optional.empty(), ServerOptions.parse(java.util.Map.of("LLAMA_API_KEY", " "), "-m", "m.gguf")
                .orElseThrow().apiKey());
    }

    @Test
    void helpWinsOverEverythingElse() throws Exception {
        assertTrue(ServerOptions.parse("--port", "x", "--help").isEmpty());
        assertTrue(ServerOptions.parse("-h").isEmpty());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "--port 8080                        | -m/--model is required",
        "-m m.gguf --bogus                  | unknown argument '--bogus'",
        "-m m.gguf --flash-attn             | unknown argument '--flash-attn'",
        "-m m.gguf extra                    | unknown argument 'extra'",
        "-m m.gguf --port                   | --port needs a value",
        "-m m.gguf --port 70000             | --port must be an integer from 0 to 65535, got '70000'",
        "-m m.gguf --port x                 | --port must be an integer from 0 to 65535, got 'x'",
        "-m m.gguf -np 0                    | -np must be an integer from 1 to 256, got '0'",
        "-m m.gguf -c -1                    | -c must be an integer from 0 to 16777216, got '-1'",
        "-m m.gguf -t 0                     | -t must be an integer from 1 to 1024, got '0'",
        "-m m.gguf --embeddings=yes         | --embeddings takes no value",
        "-m m.gguf --api-key=               | --api-key must not be empty",
        "-m m.gguf --alias=                 | --alias must not be blank",
    })
    void badArgumentsNameTheArgument(String commandLine, String message) {
        ServerOptions.UsageException e = assertThrows(ServerOptions.UsageException.class, () -> parse(commandLine));
        assertEquals(message, e.getMessage());
    }

    @Test
    void toStringHidesTheApiKey() throws Exception {
        String s = parse("-m m.gguf --api-key topsecret").toString();
        assertFalse(s.contains("topsecret"), s);
        assertTrue(s.contains("apiKey=***"), s);
    }
}
