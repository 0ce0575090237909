package dev.gpufleet.gateway.forwarding;

import dev.gpufleet.gateway.routing.PrefixKey;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;

import static dev.gpufleet.gateway.forwarding.ForwardRequestDifferentialTest.concat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the scanner tells a client about a body that is not one JSON object: what is wrong, and where. */
class ForwardRequestSyntaxErrorTest {
    private static final String PREFIX = "We could not parse the JSON body of your request: ";

    static Stream<Arguments> errors() {
        return Stream.of(
                Arguments.of("empty", "", "the body is empty (expected a JSON object)"),
                Arguments.of("only whitespace", " \n ", "the body is empty"),
                Arguments.of("form encoding", "model=qwen", "unexpected character 'm' at byte 0 (expected '{')"),
                Arguments.of("missing comma", "{\"model\":\"m\" \"stream\":true}",
                        "unexpected character '\"' at byte 13 (expected ',' or '}')"),
                Arguments.of("trailing comma in an object", "{\"model\":\"m\",}",
                        "unexpected character '}' at byte 13 (expected '\"' to start a field name)"),
                Arguments.of("trailing comma in an array", "{\"model\":\"m\",\"prompt\":[\"a\",]}",
                        "unexpected character ']' at byte 27 (expected a value)"),
                Arguments.of("missing colon", "{\"model\" \"m\"}",
                        "unexpected character '\"' at byte 9 (expected ':')"),
                Arguments.of("single quotes", "{'model':'m'}",
                        "unexpected character ''' at byte 1 (expected '\"' to start a field name)"),
                Arguments.of("unquoted name", "{model:\"m\"}", "unexpected character 'm' at byte 1"),
                Arguments.of("comment", "{\"model\":\"m\" /* x */}", "unexpected character '/' at byte 13"),
                Arguments.of("NaN", "{\"model\":\"m\",\"t\":NaN}",
                        "unexpected character 'N' at byte 17 (expected a value)"),
                Arguments.of("truncated literal", "{\"model\":\"m\",\"stream\":tru}",
                        "unexpected character '}' at byte 25 (expected 'true' from byte 22)"),
                Arguments.of("capitalised literal", "{\"model\":\"m\",\"stream\":True}",
                        "unexpected character 'T' at byte 22 (expected a value)"),
                Arguments.of("leading zero", "{\"model\":\"m\",\"n\":01}", "a number with a leading zero at byte 17"),
                Arguments.of("plus sign", "{\"model\":\"m\",\"n\":+1}", "unexpected character '+' at byte 17"),
                Arguments.of("bare minus", "{\"model\":\"m\",\"n\":-}",
                        "unexpected character '}' at byte 18 (expected a digit after '-')"),
                Arguments.of("dot without digits", "{\"model\":\"m\",\"n\":1.}",
                        "unexpected character '}' at byte 19 (expected a digit after '.')"),
                Arguments.of("leading dot", "{\"model\":\"m\",\"n\":.5}", "unexpected character '.' at byte 17"),
                Arguments.of("empty exponent", "{\"model\":\"m\",\"n\":1e+}",
                        "unexpected character '}' at byte 20 (expected a digit in the exponent)"),
                Arguments.of("hex number", "{\"model\":\"m\",\"n\":0x1}",
                        "unexpected character 'x' at byte 18 (expected ',' or '}')"),
                Arguments.of("bad escape", "{\"model\":\"m\\q\"}", "invalid escape '\\q' at byte 11"),
                Arguments.of("short unicode escape", "{\"model\":\"\\u12g4\"}",
                        "the escape '\\u' at byte 10 is not followed by 4 hex digits (character 'g' at byte 14)"),
                Arguments.of("raw newline in a string", "{\"model\":\"m\",\"prompt\":\"a\nb\"}",
                        "control character 0x0a at byte 24 inside a string"),
                Arguments.of("raw tab in a skipped string", "{\"model\":\"m\",\"user\":\"a\tb\"}",
                        "control character 0x09 at byte 22"),
                Arguments.of("unterminated string", "{\"model\":\"m",
                        "the body ends at byte 11 inside the top-level object (expected '\"' to end the string)"),
                Arguments.of("unterminated object", "{\"model\":\"m\"",
                        "the body ends at byte 12 inside the top-level object (expected ',' or '}')"),
                Arguments.of("unterminated array deep down", "{\"model\":\"m\",\"messages\":[{\"content\":[",
                        "the body ends at byte 37 inside a value nested 4 deep (expected a value)"),
                Arguments.of("two objects", "{\"model\":\"a\"}{\"model\":\"b\"}",
                        "unexpected character '{' at byte 13 after the end of the JSON object"),
                Arguments.of("garbage after", "{\"model\":\"a\"} x",
                        "unexpected character 'x' at byte 14 after the end"),
                Arguments.of("vertical tab as whitespace", "{\u000b\"model\":\"m\"}", "unexpected byte 0x0b at byte 1"),
                Arguments.of("NUL after the object", "{\"model\":\"m\"}\u0000", "unexpected byte 0x00 at byte 13"),
                Arguments.of("closing bracket for a brace", "{\"model\":\"m\",\"a\":[1}",
                        "unexpected character '}' at byte 19 (expected ',' or ']')"),
                Arguments.of("a number of 1001 digits", "{\"model\":\"m\",\"n\":" + "1".repeat(1001) + "}",
                        "a number of 1001 digits at byte 17 (at most 1000 are allowed)"),
                Arguments.of("a field name of 50,001 bytes", "{\"model\":\"m\",\"" + "k".repeat(50_001) + "\":1}",
                        "a field name of 50001 bytes at byte 13 (at most 50000 are allowed)"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("errors")
    void namesWhatIsWrongAndWhere(String label, String body, String fragment) {
        assertInvalid(body.getBytes(StandardCharsets.UTF_8), PREFIX, fragment);
    }

    static Stream<Arguments> invalidUtf8() {
        return Stream.of(
                Arguments.of("a continuation byte alone", concat("{\"model\":\"", 0x80, "\"}"),
                        "invalid UTF-8 at byte 10 inside a string: 0x80 cannot start a character"),
                Arguments.of("a cut sequence in the prompt", concat("{\"model\":\"m\",\"prompt\":\"", 0xC3, "x\"}"),
                        "invalid UTF-8 at byte 23 inside a string: 0x78 cannot be byte 2 of a character that starts "
                                + "with 0xc3"),
                Arguments.of("a cut sequence in a skipped string", concat("{\"model\":\"m\",\"user\":\"", 0xE4, 0xB8,
                        "\"}"), "0x22 cannot be byte 3 of a character that starts with 0xe4"),
                Arguments.of("a sequence cut by the end", concat("{\"model\":\"m\",\"user\":\"", 0xF0, 0x9F),
                        "the body ends at byte 23 inside the top-level object "
                                + "(expected the rest of a UTF-8 character)"),
                Arguments.of("a non-ASCII byte outside strings", concat("{\"model\":\"m\"", 0xC3, 0xA9, "}"),
                        "unexpected byte 0xc3 at byte 12 (expected ',' or '}')"),
                Arguments.of("latin-1 instead of UTF-8 in a field name", concat("{\"caf", 0xE9, "\":1}"),
                        "invalid UTF-8 at byte 5 inside a string: 0x22 cannot be byte 2 of a character that "
                                + "starts with 0xe9"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidUtf8")
    void refusesWhatIsNotUtf8(String label, byte[] body, String fragment) {
        assertInvalid(body, PREFIX, fragment);
    }

    static Stream<Arguments> notAnObject() {
        return Stream.of(
                Arguments.of("[{\"model\":\"m\"}]", "an array"),
                Arguments.of("\"m\"", "a string"),
                Arguments.of("42", "a number"),
                Arguments.of("-1", "a number"),
                Arguments.of("true", "a boolean"),
                Arguments.of("null", "null"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("notAnObject")
    void saysWhatTheBodyIsInsteadOfAnObject(String body, String what) {
        assertInvalid(body.getBytes(StandardCharsets.UTF_8), "The request body must be a JSON object, not " + what,
                "");
    }

    @Test
    void positionsCountFromTheStartOfTheBodyNotOfItsBuffer() {
        byte[] buffer = "xxxxx{\"model\":\"m\" x}yyy".getBytes(StandardCharsets.UTF_8);
        ForwardRequest.Rejected rejected = assertThrows(ForwardRequest.Rejected.class,
                () -> ForwardRequest.parse(buffer, 5, buffer.length - 8));
        assertTrue(rejected.getMessage().contains("unexpected character 'x' at byte 13"), rejected.getMessage());
    }

    @Test
    void aHundredThousandOpeningBracketsAreRefusedNotAStackOverflow() {
        // the whole body: refused at once as not an object
        assertInvalid("[".repeat(100_000).getBytes(StandardCharsets.UTF_8),
                "The request body must be a JSON object, not an array", "");
        // inside the object, in a skipped field, a collected one, and as objects: refused at depth 1,001
        for (String field : new String[] {"tools", "messages"}) {
            String body = "{\"model\":\"m\",\"" + field + "\":" + "[".repeat(100_000);
            assertInvalid(body.getBytes(StandardCharsets.UTF_8),
                    PREFIX, "arrays and objects nest deeper than 1000 levels at byte " + (14 + field.length() + 2 + 999)
                            + " (at most 1000 are allowed)");
        }
        String objects = "{\"model\":\"m\",\"prompt\":" + "{\"content\":".repeat(100_000);
        assertInvalid(objects.getBytes(StandardCharsets.UTF_8),
                PREFIX, "nest deeper than 1000 levels");
    }

    @Test
    void nestingOfExactlyAThousandIsAcceptedLikeJacksonAndOneMoreIsNot() throws Exception {
        // the top-level object is level 1, as in Jackson's StreamReadConstraints
        for (String field : new String[] {"tools", "messages"}) {
            String ok = "{\"model\":\"m\",\"" + field + "\":" + "[".repeat(998) + "{\"text\":\"deep\"}"
                    + "]".repeat(998) + "}";
            byte[] okBytes = ok.getBytes(StandardCharsets.UTF_8);
            ForwardRequest request = ForwardRequest.parse(okBytes, 0, okBytes.length, 1, 4096);
            JacksonForwardRequestOracle.Parsed parsed = JacksonForwardRequestOracle.parse(okBytes);
            assertEquals(field.equals("messages") ? "deep" : "", parsed.leadingText());
            assertEquals(parsed.request(1, 4096), request);
            assertEquals(PrefixKey.of(field.equals("messages") ? "deep" : "", 1, 4096), request.affinityKey());
            String tooDeep = "{\"model\":\"m\",\"" + field + "\":" + "[".repeat(999) + "{\"text\":\"deep\"}"
                    + "]".repeat(999) + "}";
            assertThrows(ForwardRequest.Rejected.class,
                    () -> JacksonForwardRequestOracle.parse(tooDeep.getBytes(StandardCharsets.UTF_8)));
            assertInvalid(tooDeep.getBytes(StandardCharsets.UTF_8), PREFIX, "nest deeper than 1000 levels");
        }
    }

    @Test
    void limitsMatchJacksonsAtTheirEdges() throws Exception {
        String[] accepted = {
                "{\"model\":\"m\",\"n\":" + "1".repeat(1000) + "}",
                "{\"model\":\"m\",\"n\":-" + "1".repeat(1000) + "}",
                "{\"model\":\"m\",\"n\":" + "1".repeat(500) + "." + "1".repeat(499) + "e+1}",
                "{\"model\":\"m\",\"" + "k".repeat(50_000) + "\":1}"};
        for (String body : accepted) {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            assertEquals(JacksonForwardRequestOracle.parse(bytes).request(), ForwardRequest.parse(bytes));
        }
        String[] refused = {
                "{\"model\":\"m\",\"n\":" + "1".repeat(500) + "." + "1".repeat(500) + "e1}",
                "{\"model\":\"m\",\"n\":1e" + "1".repeat(1000) + "}"};
        for (String body : refused) {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            assertThrows(ForwardRequest.Rejected.class, () -> JacksonForwardRequestOracle.parse(bytes));
            assertInvalid(bytes, PREFIX, "digits");
        }
    }

    private static void assertInvalid(byte[] body, String prefix, String fragment) {
        ForwardRequest.Rejected rejected =
                assertThrows(ForwardRequest.Rejected.class, () -> ForwardRequest.parse(body));
        var error = rejected.error().error();
        assertEquals("invalid_json", error.code());
        assertEquals("invalid_request_error", error.type());
        assertEquals(null, error.param());
        assertTrue(error.message().startsWith(prefix) && error.message().contains(fragment), error.message());
    }
}
