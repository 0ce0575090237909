package dev.gpufleet.gateway.forwarding;

import dev.gpufleet.gateway.routing.PrefixKey;
import dev.gpufleet.gateway.routing.RoutingConfig;
import io.smallrye.config.WithDefault;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ForwardRequestTest {

    static Stream<Arguments> accepted() {
        return Stream.of(
                Arguments.of("model only", "{\"model\":\"qwen\"}", "qwen", false),
                Arguments.of("chat with stream",
                        "{\"model\":\"qwen\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":true}",
                        "qwen", true),
                Arguments.of("stream before model, nested objects skipped",
                        "{\"stream\":true,\"stream_options\":{\"model\":\"not-this\",\"include_usage\":true},"
                                + "\"model\":\"org/Qwen2.5-7B\"}", "org/Qwen2.5-7B", true),
                Arguments.of("stream false", "{\"model\":\"m\",\"stream\":false}", "m", false),
                Arguments.of("stream that is not a boolean counts as no stream", "{\"model\":\"m\",\"stream\":\"yes\"}",
                        "m", false),
                Arguments.of("embedding input arrays", "{\"input\":[[1,2,3],[4]],\"model\":\"e\"}", "e", false),
                Arguments.of("whitespace around", " \n{ \"model\" : \"m\" }\n ", "m", false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("accepted")
    void readsModelAndStream(String label, String body, String model, boolean stream) throws Exception {
        ForwardRequest request = ForwardRequest.parse(body.getBytes(StandardCharsets.UTF_8));
        assertEquals(model, request.model());
        assertEquals(stream, request.stream());
    }

    static Stream<Arguments> leadingTexts() {
        return Stream.of(
                Arguments.of("chat messages in order, roles left out",
                        "{\"model\":\"m\",\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
                                + "{\"role\":\"user\",\"content\":\"Hi\"}]}", "Be brief.Hi"),
                Arguments.of("content parts: text only, images skipped",
                        "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Look\"},"
                                + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:x\"}}]}],\"model\":\"m\"}",
                        "Look"),
                Arguments.of("completion prompt", "{\"model\":\"m\",\"prompt\":\"Once upon\"}", "Once upon"),
                Arguments.of("prompt array", "{\"model\":\"m\",\"prompt\":[\"a\",\"b\"]}", "ab"),
                Arguments.of("embedding input", "{\"input\":\"text\",\"model\":\"m\"}", "text"),
                Arguments.of("token arrays carry no text", "{\"input\":[[1,2],[3]],\"model\":\"m\"}", ""),
                Arguments.of("rerank query", "{\"model\":\"m\",\"query\":\"q\",\"documents\":[\"d\"]}", "q"),
                Arguments.of("tool calls and names are not text",
                        "{\"model\":\"m\",\"messages\":[{\"role\":\"assistant\",\"content\":null,"
                                + "\"tool_calls\":[{\"id\":\"c\"}]},{\"role\":\"tool\",\"content\":\"42\"}]}", "42"),
                Arguments.of("capped", "{\"model\":\"m\",\"prompt\":\"" + "x".repeat(5000) + "\"}",
                        "x".repeat(ForwardRequest.MAX_LEADING_CHARS)));
    }

    /** Block chars x blocks: every char up to the cut at 4,096; blocks of 2 past the cut; the defaults. */
    private static final int[][] SETTINGS = {{1, ForwardRequest.MAX_LEADING_CHARS},
            {2, ForwardRequest.MAX_LEADING_CHARS}, {ForwardRequest.DEFAULT_BLOCK_CHARS, ForwardRequest.DEFAULT_BLOCKS}};

    /** The scanner hashes the leading text as it reads it: its key is that of the text, under any block settings. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("leadingTexts")
    void readsThePromptsLeadingText(String label, String body, String leading) throws Exception {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        for (int[] s : SETTINGS) {
            assertEquals(PrefixKey.of(leading, s[0], s[1]),
                    ForwardRequest.parse(bytes, 0, bytes.length, s[0], s[1]).affinityKey(), s[0] + " x " + s[1]);
        }
        assertEquals(PrefixKey.of(leading, ForwardRequest.DEFAULT_BLOCK_CHARS, ForwardRequest.DEFAULT_BLOCKS),
                ForwardRequest.parse(bytes).affinityKey());
        assertEquals(leading.isEmpty(), ForwardRequest.parse(bytes, 0, bytes.length, 1, 4096).affinityKey().isEmpty());
    }

    /**
     * The key is made only where the model wants one, asked once the whole body is checked, whichever comes
     * first in the body, the model or the text; otherwise the rest of the request is as with a key.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("leadingTexts")
    void theKeyIsMadeOnlyForAModelThatWantsOne(String label, String body, String leading) throws Exception {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        for (int[] s : SETTINGS) {
            List<String> asked = new ArrayList<>();
            ForwardRequest without = ForwardRequest.parse(bytes, 0, bytes.length, s[0], s[1], model -> {
                asked.add(model);
                return false;
            });
            ForwardRequest with = ForwardRequest.parse(bytes, 0, bytes.length, s[0], s[1], model -> true);
            assertEquals(OptionalLong.empty(), without.affinityKey());
            assertEquals(new ForwardRequest(with.model(), with.stream()), without);
            assertEquals(leading.isEmpty() ? List.of() : List.of("m"), asked, "asked once, with the model's name");
            assertEquals(PrefixKey.of(leading, s[0], s[1]), with.affinityKey(), s[0] + " x " + s[1]);
        }
        String broken = body.substring(0, body.length() - 1);
        assertThrows(ForwardRequest.Rejected.class, () -> ForwardRequest.parse(broken.getBytes(StandardCharsets.UTF_8),
                0, broken.length(), 1, 4096, model -> false), "without a key the whole body is still checked");
    }

    @Test
    void theScanHashesOnlyTheBlocksTheKeyNeeds() throws Exception {
        String twoMessages = "{\"model\":\"m\",\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
                + "{\"role\":\"user\",\"content\":\"H\u00e9llo \\u00fc " + "y".repeat(3000) + "\"}]}";
        byte[] body = twoMessages.getBytes(StandardCharsets.UTF_8);
        String whole = "Be brief.H\u00e9llo \u00fc " + "y".repeat(3000);
        for (int blocks : new int[] {0, 1, 9, 10, 12, 1024, ForwardRequest.MAX_LEADING_CHARS, 100_000}) {
            for (int blockChars : new int[] {1, 3, 10}) {
                ForwardRequest cut = ForwardRequest.parse(body, 0, body.length, blockChars, blocks);
                assertEquals(PrefixKey.of(whole, blockChars, blocks), cut.affinityKey(),
                        blockChars + " x " + blocks);
                assertEquals("m", cut.model());
            }
        }
        assertEquals(OptionalLong.empty(), ForwardRequest.parse(body, 0, body.length, 4096, 1).affinityKey(),
                "3,017 chars: not one block of 4,096");
        assertThrows(ForwardRequest.Rejected.class, () -> ForwardRequest.parse(body, 0, body.length - 1, 1, 0),
                "affinity off still checks the whole body");
        assertThrows(ForwardRequest.Rejected.class, () -> ForwardRequest.parse(body, 0, body.length - 1, 0, 5),
                "a block size of 0 still checks the whole body");
    }

    @Test
    void theDefaultBlockSettingsAreTheGatewaysDefaults() throws Exception {
        assertEquals(String.valueOf(ForwardRequest.DEFAULT_BLOCK_CHARS), RoutingConfig.class
                .getMethod("affinityBlockChars").getAnnotation(WithDefault.class).value());
        assertEquals(String.valueOf(ForwardRequest.DEFAULT_BLOCKS), RoutingConfig.class
                .getMethod("affinityBlocks").getAnnotation(WithDefault.class).value());
    }

    static Stream<Arguments> rejected() {
        return Stream.of(
                Arguments.of("empty body", "", null, "invalid_json"),
                Arguments.of("not JSON", "model=qwen", null, "invalid_json"),
                Arguments.of("truncated JSON", "{\"model\":\"qwen\",\"messages\":[", null, "invalid_json"),
                Arguments.of("truncated inside a message", "{\"model\":\"q\",\"messages\":[{\"content\":\"a\"",
                        null, "invalid_json"),
                Arguments.of("truncated inside a prompt array", "{\"model\":\"q\",\"prompt\":[\"a\",", null,
                        "invalid_json"),
                Arguments.of("an array", "[{\"model\":\"qwen\"}]", null, "invalid_json"),
                Arguments.of("a string", "\"qwen\"", null, "invalid_json"),
                Arguments.of("two objects", "{\"model\":\"a\"}{\"model\":\"b\"}", null, "invalid_json"),
                Arguments.of("trailing garbage", "{\"model\":\"a\"} x", null, "invalid_json"),
                Arguments.of("no model", "{\"messages\":[]}", "model", "missing_required_parameter"),
                Arguments.of("null model", "{\"model\":null}", "model", "missing_required_parameter"),
                Arguments.of("blank model", "{\"model\":\"  \"}", "model", "missing_required_parameter"),
                Arguments.of("model is a number", "{\"model\":7}", "model", "invalid_type"),
                Arguments.of("model is an object", "{\"model\":{\"name\":\"x\"}}", "model", "invalid_type"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rejected")
    void rejectsWhatItCannotRoute(String label, String body, String param, String code) {
        ForwardRequest.Rejected rejected = assertThrows(ForwardRequest.Rejected.class,
                () -> ForwardRequest.parse(body.getBytes(StandardCharsets.UTF_8)));
        assertEquals(param, rejected.error().error().param());
        assertEquals(code, rejected.error().error().code());
        assertEquals("invalid_request_error", rejected.error().error().type());
    }

    @Test
    void aMissingModelIsNamedInTheMessage() {
        ForwardRequest.Rejected rejected = assertThrows(ForwardRequest.Rejected.class,
                () -> ForwardRequest.parse("{}".getBytes(StandardCharsets.UTF_8)));
        assertTrue(rejected.error().error().message().contains("'model'"), rejected.error().error().message());
    }
}
