package dev.gpufleet.gateway.forwarding;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class MultipartFormTest {
    static final String BOUNDARY = "----form7MA4YWxkTrZu0gW";
    static final String TYPE = "multipart/form-data; boundary=" + BOUNDARY;

    /** A form as OpenAI's clients send it: fields and a file, in the given order. */
    static byte[] form(String... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String part : parts) {
            out.writeBytes(("--" + BOUNDARY + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            if (part.startsWith("file:")) {
                out.writeBytes(("Content-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n"
                        + "Content-Type: audio/wav\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                // binary content, including bytes that look like CRLF and dashes
                out.writeBytes(new byte[]{0, (byte) 0xff, '\r', '\n', '-', '-', 'x', 0x7f});
            } else {
                String[] nameValue = part.split("=", 2);
                out.writeBytes(("Content-Disposition: form-data; name=\"" + nameValue[0] + "\"\r\n\r\n"
                        + nameValue[1]).getBytes(StandardCharsets.UTF_8));
            }
            out.writeBytes("\r\n".getBytes(StandardCharsets.ISO_8859_1));
        }
        out.writeBytes(("--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.ISO_8859_1));
        return out.toByteArray();
    }

    static Stream<Arguments> accepted() {
        return Stream.of(
                Arguments.of("model before the file", TYPE, form("model=whisper", "file:"), "whisper", false),
                Arguments.of("file before the model (node client order)", TYPE, form("file:", "model=org/whisper-1"),
                        "org/whisper-1", false),
                Arguments.of("other fields and stream", TYPE,
                        form("file:", "language=en", "stream=true", "model=w", "response_format=json"), "w", true),
                Arguments.of("as openai-node 6.49 (undici) sends it", "multipart/form-data; "
                        + "boundary=----formdata-undici-057856036079", ("------formdata-undici-057856036079\r\n"
                        + "Content-Disposition: form-data; name=\"model\"\r\n\r\nnode-model\r\n"
                        + "------formdata-undici-057856036079\r\n"
                        + "Content-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n"
                        + "Content-Type: application/octet-stream\r\n\r\n\u0001\u0002\u0003\u0004\r\n"
                        + "------formdata-undici-057856036079--\r\n").getBytes(StandardCharsets.ISO_8859_1),
                        "node-model", false),
                Arguments.of("quoted boundary, other parameters", "multipart/form-data; charset=utf-8; boundary=\""
                        + BOUNDARY + "\"", form("model=w", "file:"), "w", false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("accepted")
    void readsTheModelField(String label, String type, byte[] body, String model, boolean stream) throws Exception {
        ForwardRequest request = MultipartForm.parse(type, body);
        assertEquals(model, request.model());
        assertEquals(stream, request.stream());
    }

    static Stream<Arguments> rejected() {
        return Stream.of(
                Arguments.of("no model field", TYPE, form("file:", "language=en"), "model",
                        "missing_required_parameter"),
                Arguments.of("empty model", TYPE, form("model=", "file:"), "model", "missing_required_parameter"),
                Arguments.of("JSON instead of a form", "application/json",
                        "{\"model\":\"w\"}".getBytes(StandardCharsets.UTF_8), null, "invalid_content_type"),
                Arguments.of("no content type", null, form("model=w"), null, "invalid_content_type"),
                Arguments.of("no boundary", "multipart/form-data", form("model=w"), null, "invalid_content_type"),
                Arguments.of("another boundary than the body's", "multipart/form-data; boundary=other",
                        form("model=w"), "model", "missing_required_parameter"),
                Arguments.of("cut off before the end of the model", TYPE,
                        ("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nwhi")
                                .getBytes(StandardCharsets.ISO_8859_1), "model", "missing_required_parameter"),
                Arguments.of("empty body", TYPE, new byte[0], "model", "missing_required_parameter"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rejected")
    void rejectsAFormItCannotRoute(String label, String type, byte[] body, String param, String code) {
        ForwardRequest.Rejected rejected = assertThrows(ForwardRequest.Rejected.class,
                () -> MultipartForm.parse(type, body));
        assertEquals(param, rejected.error().error().param());
        assertEquals(code, rejected.error().error().code());
        assertEquals("invalid_request_error", rejected.error().error().type());
    }
}
