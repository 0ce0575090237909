package dev.gpufleet.gateway.forwarding;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
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
        assertEquals(new ForwardRequest(model, stream), ForwardRequest.parse(body.getBytes(StandardCharsets.UTF_8)));
    }

    static Stream<Arguments> rejected() {
        return Stream.of(
                Arguments.of("empty body", "", null, "invalid_json"),
                Arguments.of("not JSON", "model=qwen", null, "invalid_json"),
                Arguments.of("truncated JSON", "{\"model\":\"qwen\",\"messages\":[", null, "invalid_json"),
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
