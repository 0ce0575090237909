package dev.gpufleet.gateway.forwarding;

import dev.gpufleet.gateway.routing.PrefixKey;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@link ForwardRequest#parse} (the byte scan) against {@link JacksonForwardRequestOracle} (the Jackson parser it
 * replaced): the realistic bodies under {@code forward-requests/} must give the same request, and every truncation
 * and a few hundred seeded byte changes of each must be accepted or refused alike, with the same request or the same
 * error code. Where the two may differ, RFC 8259 decides, and the difference is listed in {@link #rfcDivergences}.
 * The scanner only hashes the leading text: its affinity key must be {@link PrefixKey#of} the oracle's text under
 * each of {@link #SETTINGS}, the first of which depends on every one of the 4,096 chars.
 */
class ForwardRequestDifferentialTest {
    private static final int MUTATIONS_PER_FIXTURE = 400;
    /**
     * Block chars x blocks: every char up to the cut; the gateway's defaults; short odd blocks; blocks past the cut
     * at 4,096 chars (which then ends inside a block); affinity off (nothing hashed, the body still checked).
     */
    private static final int[][] SETTINGS = {{1, ForwardRequest.MAX_LEADING_CHARS},
            {ForwardRequest.DEFAULT_BLOCK_CHARS, ForwardRequest.DEFAULT_BLOCKS}, {3, 7}, {7, 1000}, {1, 0}};
    private static final byte[] INTERESTING = bytes("{}[]\",:\\ \t\n\r0123456789eE.+-tfnulrsa/xu",
            0x00, 0x01, 0x1f, 0x7f, 0x80, 0xbf, 0xc0, 0xc2, 0xc3, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff);

    /** The outcome of one parse: the request, or the error's code and param (the messages differ by design). */
    private record Outcome(ForwardRequest request, String code, String param, String message) {
        boolean accepted() {
            return request != null;
        }

        boolean sameAs(Outcome other) {
            return accepted() ? request.equals(other.request)
                    : !other.accepted() && code.equals(other.code) && Objects.equals(param, other.param);
        }

        @Override
        public String toString() {
            return accepted() ? request.toString() : code + "/" + param + ": " + message;
        }
    }

    private interface Parser {
        ForwardRequest parse(byte[] body, int offset, int length) throws ForwardRequest.Rejected;
    }

    private static Outcome outcome(Parser parser, byte[] body, int offset, int length) {
        try {
            return new Outcome(parser.parse(body, offset, length), null, null, null);
        } catch (ForwardRequest.Rejected rejected) {
            var error = rejected.error().error();
            return new Outcome(null, error.code(), error.param(), error.message());
        }
    }

    private static Outcome scanner(byte[] body) {
        return outcome(ForwardRequest::parse, body, 0, body.length);
    }

    private static Outcome scanner(byte[] body, int[] setting) {
        return outcome((b, offset, length) -> ForwardRequest.parse(b, offset, length, setting[0], setting[1]), body, 0,
                body.length);
    }

    private static Outcome oracle(byte[] body) {
        return outcome((b, offset, length) -> JacksonForwardRequestOracle.parse(b, offset, length).request(), body, 0,
                body.length);
    }

    private static String settingName(int[] setting) {
        return "blocks " + setting[0] + " x " + setting[1];
    }

    static List<Path> fixtures() throws IOException, URISyntaxException {
        Path dir = Path.of(Objects.requireNonNull(
                ForwardRequestDifferentialTest.class.getResource("/forward-requests")).toURI());
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.toString().endsWith(".json")).sorted().toList();
        }
    }

    @TestFactory
    Stream<DynamicTest> everyFixtureGivesTheOraclesRequest() throws Exception {
        List<Path> fixtures = fixtures();
        assertTrue(fixtures.size() >= 20, "fixtures found: " + fixtures);
        return fixtures.stream().map(fixture -> DynamicTest.dynamicTest(fixture.getFileName().toString(), () -> {
            byte[] body = Files.readAllBytes(fixture);
            Outcome expected = oracle(body);
            assertTrue(expected.accepted(), "the oracle refuses the fixture: " + expected);
            assertEquals(expected.request(), scanner(body).request());
            JacksonForwardRequestOracle.Parsed parsed = JacksonForwardRequestOracle.parse(body);
            // read in place inside a larger buffer, as from a Vert.x buffer's backing array
            byte[] framed = new byte[body.length + 7];
            Arrays.fill(framed, (byte) '}');
            System.arraycopy(body, 0, framed, 3, body.length);
            assertEquals(expected.request(), ForwardRequest.parse(framed, 3, body.length));
            for (int[] setting : SETTINGS) {
                ForwardRequest wanted = parsed.request(setting[0], setting[1]);
                assertEquals(wanted, scanner(body, setting).request(), settingName(setting));
                assertEquals(wanted, ForwardRequest.parse(framed, 3, body.length, setting[0], setting[1]),
                        "framed, " + settingName(setting));
            }
        }));
    }

    @Test
    void theFixturesCoverWhatTheyClaim() throws Exception {
        // guards against a fixture that silently lost its point (e.g. the prompt no longer crosses the limit)
        assertEquals("😀".charAt(0) + "", lastChar("long-prompt-surrogate-at-limit.json"));
        assertEquals("😀".charAt(0) + "", lastChar("long-prompt-escaped-surrogate-at-limit.json"));
        assertTrue(Files.size(fixture("chat-long-16k.json")) >= 16_000);
        byte[] duplicates = Files.readAllBytes(fixture("escaped-keys-and-duplicates.json"));
        assertEquals(new JacksonForwardRequestOracle.Parsed("second", true, "onetwothreefourfivesixseven"),
                JacksonForwardRequestOracle.parse(duplicates));
        assertEquals(new ForwardRequest("second", true, everyChar("onetwothreefourfivesixseven")),
                ForwardRequest.parse(duplicates, 0, duplicates.length, 1, ForwardRequest.MAX_LEADING_CHARS));
        String unicode = "Café 中文 \uD83D\uDE00 tab\there \"q\" back\\slash / slash \u0001 end¡Hola! 🚀🌍";
        byte[] escaped = Files.readAllBytes(fixture("unicode-escaped.json"));
        assertEquals(unicode, JacksonForwardRequestOracle.parse(escaped).leadingText());
        assertEquals(everyChar(unicode),
                ForwardRequest.parse(escaped, 0, escaped.length, 1, ForwardRequest.MAX_LEADING_CHARS).affinityKey());
    }

    /** The key that depends on each of the text's chars (up to the cut). */
    private static OptionalLong everyChar(String text) {
        return PrefixKey.of(text, 1, ForwardRequest.MAX_LEADING_CHARS);
    }

    /** The last char of the oracle's leading text, which the scanner's key must cover. */
    private static String lastChar(String name) throws Exception {
        byte[] body = Files.readAllBytes(fixture(name));
        String text = JacksonForwardRequestOracle.parse(body).leadingText();
        assertEquals(ForwardRequest.MAX_LEADING_CHARS, text.length());
        assertEquals(everyChar(text),
                ForwardRequest.parse(body, 0, body.length, 1, ForwardRequest.MAX_LEADING_CHARS).affinityKey());
        return text.substring(text.length() - 1);
    }

    private static Path fixture(String name) throws Exception {
        return fixtures().stream().filter(f -> f.getFileName().toString().equals(name)).findFirst().orElseThrow();
    }

    @TestFactory
    Stream<DynamicTest> everyTruncationAgreesWithTheOracle() throws Exception {
        return fixtures().stream().map(fixture -> DynamicTest.dynamicTest(fixture.getFileName().toString(), () -> {
            byte[] body = Files.readAllBytes(fixture);
            for (int length = 0; length < body.length; length++) {
                byte[] cut = Arrays.copyOf(body, length);
                agree(cut, "truncated to " + length);
            }
        }));
    }

    @TestFactory
    Stream<DynamicTest> seededMutationsAgreeWithTheOracle() throws Exception {
        return fixtures().stream().map(fixture -> DynamicTest.dynamicTest(fixture.getFileName().toString(), () -> {
            byte[] body = Files.readAllBytes(fixture);
            long seed = fixture.getFileName().toString().hashCode();
            Random random = new Random(seed);
            int accepted = 0;
            for (int i = 0; i < MUTATIONS_PER_FIXTURE; i++) {
                byte[] mutated = body;
                StringBuilder how = new StringBuilder("seed " + seed + ", mutation " + i + ":");
                for (int n = 1 + random.nextInt(2); n > 0; n--) {
                    mutated = mutate(mutated, random, how);
                }
                if (agree(mutated, how.toString())) {
                    accepted++;
                }
            }
            // the mutations must also produce bodies that still parse, or the value comparison tests nothing
            assertTrue(accepted > 0, "no mutation of " + fixture + " was accepted");
        }));
    }

    @Test
    void everyByteValueAtEveryPlaceOfAnEightByteWordAgrees() {
        // the scanner steps over plain string text eight bytes at a time: each lane and each byte value once
        for (String field : new String[] {"prompt", "user", "model"}) {
            for (int at = 0; at < 17; at++) {
                for (int value = 0; value < 256; value++) {
                    byte[] body = ("{\"model\":\"m\",\"" + field + "\":\"abcdefghijklmnopq\"}")
                            .getBytes(StandardCharsets.US_ASCII);
                    body[17 + field.length() + at] = (byte) value;
                    agree(body, field + ": byte " + value + " at " + at);
                }
            }
        }
    }

    /**
     * Asserts the scanner agrees with the oracle on {@code body} (or differs as RFC 8259 wants) under each of
     * {@link #SETTINGS}; true if accepted.
     */
    private static boolean agree(byte[] body, String how) {
        JacksonForwardRequestOracle.Parsed parsed = null;
        Outcome refused = null;
        try {
            parsed = JacksonForwardRequestOracle.parse(body);
        } catch (ForwardRequest.Rejected rejected) {
            var error = rejected.error().error();
            refused = new Outcome(null, error.code(), error.param(), error.message());
        }
        boolean accepted = false;
        for (int[] setting : SETTINGS) {
            Outcome expected = parsed == null ? refused
                    : new Outcome(parsed.request(setting[0], setting[1]), null, null, null);
            Outcome actual;
            try {
                actual = scanner(body, setting);
            } catch (RuntimeException | StackOverflowError e) {
                throw new AssertionError(how + " threw instead of refusing: " + show(body), e);
            }
            if (actual.sameAs(expected)) {
                accepted = actual.accepted();
                continue;
            }
            String divergence = rfcDivergence(body);
            if (divergence != null && expected.accepted() && !actual.accepted()
                    && actual.code().equals("invalid_json")) {
                continue; // Jackson is more lenient than RFC 8259 here; the scanner follows the RFC
            }
            fail(how + ", " + settingName(setting) + "\n  body:    " + show(body) + "\n  oracle:  " + expected
                    + (parsed == null ? "" : "\n  oracle's leading text: "
                    + show(parsed.leadingText().getBytes(StandardCharsets.UTF_8)))
                    + "\n  scanner: " + actual);
        }
        return accepted;
    }

    /**
     * Why RFC 8259 refuses a body that Jackson may accept, or null. Each is listed with examples in
     * {@link #rfcDivergences}:
     * <ul>
     *     <li>Not UTF-8 as RFC 3629 defines it (RFC 8259 §8.1): Jackson decodes overlong forms (0xC0 0x80) and
     *     sequences above U+10FFFF without complaint, and UTF-16 surrogates (0xED 0xA0 0x80) in strings it skips.
     *     The scanner refuses all of them, in every string.</li>
     *     <li>A zero byte among the first four: Jackson's encoding detection then reads the body as UTF-16 or
     *     UTF-32 (so does a UTF-16/32 byte order mark). RFC 8259 §8.1: JSON exchanged between systems is UTF-8.</li>
     * </ul>
     */
    private static String rfcDivergence(byte[] body) {
        for (int i = 0; i < Math.min(4, body.length); i++) {
            if (body[i] == 0) {
                return "zero byte at " + i + ": Jackson reads UTF-16/32";
            }
        }
        if (body.length >= 2 && ((body[0] & 0xFF) == 0xFE || (body[0] & 0xFF) == 0xFF)) {
            return "UTF-16 byte order mark";
        }
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(body));
            return null;
        } catch (CharacterCodingException e) {
            return "not UTF-8 per RFC 3629";
        }
    }

    static Stream<Arguments> rfcDivergences() {
        return Stream.of(
                // overlong encodings: Jackson decodes 0xC0 0x80 to U+0000, 0xE0 0x80 0x80 likewise
                Arguments.of("overlong NUL in a skipped string",
                        concat("{\"model\":\"m\",\"user\":\"", 0xC0, 0x80, "\"}"),
                        "0xc0 cannot start a character"),
                Arguments.of("overlong in the model", concat("{\"model\":\"m", 0xE0, 0x80, 0x80, "\"}"),
                        "invalid UTF-8 at byte 11"),
                Arguments.of("overlong in the prompt", concat("{\"model\":\"m\",\"prompt\":\"", 0xC1, 0xBF, "\"}"),
                        "0xc1 cannot start a character"),
                // UTF-16 surrogates encoded in UTF-8: Jackson refuses them where it decodes, not where it skips
                Arguments.of("surrogate in a skipped string", concat("{\"model\":\"m\",\"user\":\"", 0xED, 0xA0, 0x80,
                        "\"}"), "0xa0 cannot be byte 2 of a character that starts with 0xed"),
                // above U+10FFFF: Jackson turns it into two garbage surrogates
                Arguments.of("above U+10FFFF in the prompt", concat("{\"model\":\"m\",\"prompt\":\"", 0xF4, 0x90, 0x80,
                        0x80, "\"}"), "0x90 cannot be byte 2"),
                Arguments.of("lead byte 0xF5", concat("{\"model\":\"m\",\"user\":\"", 0xF5, 0x80, 0x80, 0x80, "\"}"),
                        "0xf5 cannot start a character"),
                // other encodings: Jackson detects UTF-16 and UTF-32 from zero bytes or a byte order mark
                Arguments.of("UTF-16LE", "{\"model\":\"m\"}".getBytes(StandardCharsets.UTF_16LE),
                        "unexpected byte 0x00 at byte 1"),
                Arguments.of("UTF-16 with a byte order mark", "{\"model\":\"m\"}".getBytes(StandardCharsets.UTF_16),
                        "unexpected byte 0xfe at byte 0"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rfcDivergences")
    void whereJacksonIsMoreLenientThanRfc8259TheScannerRefuses(String label, byte[] body, String fragment) {
        Outcome jackson = oracle(body);
        assertTrue(jackson.accepted(), "Jackson accepts " + label + " (else this case is no longer a divergence)");
        Outcome scanned = scanner(body);
        assertFalse(scanned.accepted(), label);
        assertEquals("invalid_json", scanned.code());
        assertTrue(scanned.message().contains(fragment), scanned.message());
        assertNotNull(rfcDivergence(body), "the mutation tests would not excuse " + label);
    }

    private static byte[] mutate(byte[] body, Random random, StringBuilder how) {
        int kind = body.length == 0 ? 1 : random.nextInt(3);
        int at = random.nextInt(body.length + (kind == 1 ? 1 : 0));
        byte value = random.nextInt(3) == 0 ? (byte) random.nextInt(256)
                : INTERESTING[random.nextInt(INTERESTING.length)];
        List<Byte> out = new ArrayList<>(body.length + 1);
        for (byte b : body) {
            out.add(b);
        }
        switch (kind) {
            case 0 -> {
                if (random.nextBoolean()) {
                    value = (byte) (body[at] ^ (1 << random.nextInt(8)));
                }
                out.set(at, value);
                how.append(" set ").append(at).append(" to ").append(value & 0xFF);
            }
            case 1 -> {
                out.add(at, value);
                how.append(" insert ").append(value & 0xFF).append(" at ").append(at);
            }
            default -> {
                out.remove(at);
                how.append(" delete ").append(at);
            }
        }
        byte[] result = new byte[out.size()];
        for (int i = 0; i < result.length; i++) {
            result[i] = out.get(i);
        }
        return result;
    }

    static String show(byte[] body) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < Math.min(body.length, 400); i++) {
            int c = body[i] & 0xFF;
            text.append(c >= 0x20 && c < 0x7F ? String.valueOf((char) c) : String.format("\\x%02x", c));
        }
        return body.length > 400 ? text + "... (" + body.length + " bytes)" : text.toString();
    }

    static byte[] concat(Object... parts) {
        List<Byte> out = new ArrayList<>();
        for (Object part : parts) {
            if (part instanceof String s) {
                for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
                    out.add(b);
                }
            } else {
                out.add((byte) (int) (Integer) part);
            }
        }
        byte[] result = new byte[out.size()];
        for (int i = 0; i < result.length; i++) {
            result[i] = out.get(i);
        }
        return result;
    }

    private static byte[] bytes(String ascii, int... more) {
        byte[] text = ascii.getBytes(StandardCharsets.US_ASCII);
        byte[] all = Arrays.copyOf(text, text.length + more.length);
        for (int i = 0; i < more.length; i++) {
            all[text.length + i] = (byte) more[i];
        }
        return all;
    }
}
