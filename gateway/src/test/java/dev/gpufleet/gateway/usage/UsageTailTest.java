package dev.gpufleet.gateway.usage;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gpufleet.gateway.auth.Caller;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The tail read against the forward scanner: same usage wherever the tail answers at all. */
class UsageTailTest {
    /** Answers as OpenAI, llama.cpp and vLLM shape them (member order, extra members after usage, details). */
    static final List<String> FIXTURES = List.of("openai-chat.json", "openai-chat-tools.json",
            "openai-embeddings.json", "llamacpp-chat.json", "llamacpp-completions.json", "llamacpp-embeddings.json",
            "vllm-chat.json", "vllm-completions.json", "vllm-embeddings.json", "vllm-rerank.json", "no-usage.json");

    /** Strict JSON: a document it accepts is one the tail must read exactly as the forward scanner does. */
    private static final ObjectMapper STRICT = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    /** The generator's escaped key {@code us\u0061ge} is a duplicate of usage to a parser, not to the scanners. */
    private static final ObjectMapper VALID = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    static byte[] fixture(String name) {
        try (InputStream in = UsageTailTest.class.getResourceAsStream("/answers/" + name)) {
            return in.readAllBytes();
        } catch (IOException | NullPointerException e) {
            throw new IllegalStateException("fixture " + name, e);
        }
    }

    private static TokenUsage forward(byte[] doc) {
        return UsageScanner.of(doc, 0, doc.length).usage();
    }

    private static UsageTail.Result tail(byte[] doc) {
        return UsageTail.of(doc, 0, doc.length);
    }

    private static boolean strictJsonObject(byte[] doc) {
        return jsonObject(STRICT, doc);
    }

    private static boolean jsonObject(ObjectMapper mapper, byte[] doc) {
        try {
            JsonNode node = mapper.readTree(doc);
            return node != null && node.isObject();
        } catch (IOException e) {
            return false;
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "openai-chat.json|1117|46", "openai-chat-tools.json|82|17", "openai-embeddings.json|5|0",
            "llamacpp-chat.json|24|31", "llamacpp-completions.json|6|12", "llamacpp-embeddings.json|4|0",
            "vllm-chat.json|30|28", "vllm-completions.json|5|8", "vllm-embeddings.json|7|0", "vllm-rerank.json|42|0",
            "no-usage.json||"})
    void theBackendsAnswersAreReadFromTheirTails(String name, Long prompt, Long completion) {
        byte[] doc = fixture(name);
        TokenUsage expected = prompt == null ? null : new TokenUsage(prompt, completion);
        assertTrue(strictJsonObject(doc), name);
        assertEquals(expected, forward(doc), "forward " + name);
        assertEquals(new UsageTail.Result(true, expected), tail(doc), "tail " + name);
    }

    /**
     * Usage objects of plain members are read directly, the rest by the forward scanner's rules: either way the
     * count is the forward scan's. Expected prompt and completion tokens; the scanner's own rules for the odd ones
     * (a decimal counts its integer part, a negative number nothing, a repeated key its last value).
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "{\"prompt_tokens\":250,\"completion_tokens\":180,\"total_tokens\":430}|250|180",
            "{ \"prompt_tokens\" : 7 ,  \"completion_tokens\":\t0 }|7|0",
            "{}|0|0",
            "{\"total_tokens\":9,\"completion_tokens\":4}|5|4",
            "{\"prompt_tokens\":1,\"prompt_tokens\":2}|2|0",
            "{\"prompt_tokens\":007,\"other\":5}|7|0",
            "{\"prompt_tokens\":123456789012345678}|123456789012345678|0",
            "{\"prompt_tokens\":12345678901234567890}|12345678901234567890|0",
            "{\"prompt_tokens\":12.5,\"completion_tokens\":3}|12|3",
            "{\"prompt_tokens\":-4,\"completion_tokens\":3}|0|3",
            "{\"prompt_tokens\":5,\"prompt_tokens_details\":{\"cached_tokens\":2}}|5|0",
            "{\"prompt_tokens\":5,\"prompt_tokens_details\":null,\"completion_tokens\":1}|5|1",
            "{\"prompt_tok\\u0065ns\":5,\"completion_tokens\":1}|0|1",
            "{\"prompt_tokens\":5,}|5|0"})
    void aUsageObjectCountsAsTheForwardScanCountsIt(String usage, String prompt, long completion) {
        byte[] doc = ("{\"choices\":[{\"text\":\"hi\"}],\"usage\":" + usage + "}").getBytes(StandardCharsets.UTF_8);
        TokenUsage forward = forward(doc);
        assertEquals(new UsageTail.Result(true, forward), tail(doc), usage);
        if (prompt.length() < 19) {
            assertEquals(new TokenUsage(Long.parseLong(prompt), completion), forward, usage);
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "''", "'   '", "not json", "[1,2]", "{\"usage\":{\"prompt_tokens\":1}", "{\"usage\":{\"prompt_tokens\":1}}x",
            "x{\"usage\":{\"prompt_tokens\":1}}", "{\"a\":1,\"usage\":{\"prompt_tokens\":1}]",
            "{\"a\":1,\"usage\" {\"prompt_tokens\":1}}", "{\"a\":1,\"usage\":{\"prompt_tokens\":1}\"b\":2}",
            "{\"a\":[1,2},\"b\":2}", "{\"a\":\"x\\\"}", "{\"us\\\"age\":{}}x",
            // usage at depth 2 in the last member of an object cut off after it: not taken for the root's
            "{\"x\":{\"usage\":{\"prompt_tokens\":5}}"})
    void whatIsNotAsExpectedIsUnknown(String body) {
        assertSame(UsageTail.UNKNOWN, tail(body.getBytes(StandardCharsets.UTF_8)));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "{}", " { } ", "{\"choices\":[]}", "{\"usage\":null}", "{\"usage\":[1]}", "{\"usage\":\"x\"}",
            "{\"us\\u0061ge\":{\"prompt_tokens\":1}}", "{\"nested\":{\"usage\":{\"prompt_tokens\":1}}}",
            "{\"text\":\"\\\"usage\\\":{\\\"prompt_tokens\\\":1}\"}"})
    void aRootWithoutAUsageObjectIsNone(String body) {
        assertSame(UsageTail.NONE, tail(body.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void itGivesUpPastTheBoundAndNeverReadsOutsideItsRange() {
        String text = "x".repeat(UsageTail.BOUND);
        byte[] usageFirst = ("{\"usage\":{\"prompt_tokens\":1},\"choices\":[{\"text\":\"" + text + "\"}]}")
                .getBytes(StandardCharsets.UTF_8);
        assertSame(UsageTail.UNKNOWN, tail(usageFirst));
        byte[] usageLast = ("{\"choices\":[{\"text\":\"" + text + "\"}],\"usage\":{\"prompt_tokens\":1}}")
                .getBytes(StandardCharsets.UTF_8);
        assertEquals(new UsageTail.Result(true, new TokenUsage(1, 0)), tail(usageLast));
        byte[] none = ("{\"choices\":[{\"text\":\"" + text + "\"}]}").getBytes(StandardCharsets.UTF_8);
        assertSame(UsageTail.UNKNOWN, tail(none));
        // around the range, bytes that would change the answer if read
        byte[] inner = "{\"a\":\"\\\\\",\"b\":1}".getBytes(StandardCharsets.UTF_8);
        byte[] framed = frame("{\"usage\":{\"prompt_tokens\":9},\"c\":\"\\", inner, "}");
        assertSame(UsageTail.NONE, UsageTail.of(framed, framed.length - inner.length - 1, inner.length));
        assertSame(UsageTail.UNKNOWN, UsageTail.of(framed, 3, 0));
        assertSame(UsageTail.UNKNOWN, UsageTail.of(framed, framed.length, 1));
        assertSame(UsageTail.UNKNOWN, UsageTail.of(framed, -1, 2));
    }

    private static byte[] frame(String before, byte[] doc, String after) {
        byte[] head = before.getBytes(StandardCharsets.UTF_8);
        byte[] tail = after.getBytes(StandardCharsets.UTF_8);
        byte[] all = new byte[head.length + doc.length + tail.length];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(doc, 0, all, head.length, doc.length);
        System.arraycopy(tail, 0, all, head.length + doc.length, tail.length);
        return all;
    }

    /** Generated answers: members in any order, usage anywhere or absent, text full of quotes and backslashes. */
    @Test
    void generatedDocumentsAgreeWithTheForwardScanner() {
        Random random = new Random(20261127);
        int known = 0;
        int withUsage = 0;
        for (int n = 0; n < 5000; n++) {
            byte[] doc = new Generator(random).document().getBytes(StandardCharsets.UTF_8);
            String shown = new String(doc, StandardCharsets.UTF_8);
            assertTrue(jsonObject(VALID, doc), shown);
            UsageTail.Result result = tail(doc);
            TokenUsage expected = forward(doc);
            if (result.known()) {
                known++;
                withUsage += expected == null ? 0 : 1;
                assertEquals(expected, result.usage(), shown);
            } else {
                assertTrue(doc.length > UsageTail.BOUND, "unknown within the bound: " + shown);
            }
            byte[] framed = frame("{\"usage\":{\"prompt_tokens\":123456},\"\\", doc, "\"}}");
            assertEquals(result, UsageTail.of(framed, framed.length - doc.length - 3, doc.length), shown);
        }
        assertTrue(known > 3000 && withUsage > 1500, known + " known, " + withUsage + " with usage");
    }

    /** Every cut of an answer: never an exception, and no usage the forward scanner would not see in it. */
    @ParameterizedTest
    @MethodSource("fixtures")
    void everyTruncationIsUnknownOrAgrees(String name) {
        byte[] doc = fixture(name);
        for (int length = 0; length < doc.length; length++) {
            byte[] cut = Arrays.copyOf(doc, length);
            UsageTail.Result result = tail(cut);
            if (result.known()) {
                assertEquals(forward(cut), result.usage(), name + " cut at " + length);
            }
        }
    }

    /**
     * Seeded byte mutations: never an exception. A mutant that is still strict JSON is read as the forward scanner
     * reads it; a broken one may only differ from the forward scan where the break lies before the bytes the tail
     * walked (then the tail reads what it read in the intact answer: both scans then read garbage, differently).
     */
    @ParameterizedTest
    @MethodSource("fixtures")
    void mutationsNeverThrowAndAgreeWhereTheTailCanSee(String name) {
        byte[] doc = fixture(name);
        UsageTail.Result intact = tail(doc);
        byte[] interesting = "\"\\{}[],: 0ua".getBytes(StandardCharsets.US_ASCII);
        Random random = new Random(name.hashCode());
        int agreed = 0;
        for (int n = 0; n < 400; n++) {
            byte[] mutant = mutate(doc, random, interesting);
            UsageTail.Result result = tail(mutant);
            TokenUsage forward = forward(mutant);
            String shown = n + ": " + new String(mutant, StandardCharsets.UTF_8);
            if (strictJsonObject(mutant) && result.known()) {
                assertEquals(forward, result.usage(), shown);
            }
            if (result.known() && !result.equals(intact)) {
                assertEquals(forward, result.usage(), shown);
            }
            agreed += !result.known() || Objects.equals(forward, result.usage()) ? 1 : 0;
        }
        assertTrue(agreed > 200, agreed + " of 400 unknown or agreeing");
    }

    static List<String> fixtures() {
        return FIXTURES;
    }

    private static byte[] mutate(byte[] doc, Random random, byte[] interesting) {
        int at = random.nextInt(doc.length);
        byte b = random.nextBoolean() ? interesting[random.nextInt(interesting.length)] : (byte) random.nextInt(256);
        switch (random.nextInt(3)) {
            case 0 -> {
                byte[] out = doc.clone();
                out[at] = b;
                return out;
            }
            case 1 -> {
                byte[] out = new byte[doc.length - 1];
                System.arraycopy(doc, 0, out, 0, at);
                System.arraycopy(doc, at + 1, out, at, doc.length - at - 1);
                return out;
            }
            default -> {
                byte[] out = new byte[doc.length + 1];
                System.arraycopy(doc, 0, out, 0, at);
                out[at] = b;
                System.arraycopy(doc, at, out, at + 1, doc.length - at);
                return out;
            }
        }
    }

    /** The tap: one buffer read from its tail, several scanned forward, the client's buffers passed untouched. */
    @ParameterizedTest
    @MethodSource("fixtures")
    void theTapMetersAnAnswerHoweverItIsSplit(String name) {
        byte[] doc = fixture(name);
        TokenUsage expected = forward(doc);
        for (int pieces : new int[] {1, 2, 3, 7}) {
            List<TokenUsage> told = new ArrayList<>();
            UsageTap tap = new UsageTap(List.of((caller, model, usage) -> told.add(usage)));
            UsageTap.Metered metered = tap.open(Caller.CLUSTER_TOKEN, "/v1/chat/completions", "m", false,
                    Buffer.buffer("{\"model\":\"m\",\"prompt\":\"abcdefgh\"}"));
            metered.answered(200, "application/json");
            int size = (doc.length + pieces - 1) / pieces;
            for (int at = 0; at < doc.length; at += size) {
                Buffer chunk = Buffer.buffer(Arrays.copyOfRange(doc, at, Math.min(doc.length, at + size)));
                assertSame(chunk, metered.chunk(chunk));
            }
            assertEquals(null, metered.end());
            // without usage in the answer, the gateway's estimate: told to the listeners and to the token metrics
            TokenUsage usage = expected == null ? new TokenUsage(2, 0, true) : expected;
            assertEquals(usage, metered.finished(), name + " in " + pieces);
            assertEquals(List.of(usage), told, name + " in " + pieces);
        }
    }

    @Test
    void anAnswerCutOffAfterItsFirstBufferIsScannedForward() {
        byte[] doc = fixture("vllm-chat.json");
        int cut = new String(doc, StandardCharsets.UTF_8).indexOf("\"prompt_logprobs\"");
        UsageTap.Metered metered = new UsageTap(List.of()).open(Caller.CLUSTER_TOKEN, "/v1/chat/completions", "m",
                false, Buffer.buffer("{}"));
        metered.answered(200, "application/json");
        metered.chunk(Buffer.buffer(Arrays.copyOf(doc, cut)));
        assertEquals(new TokenUsage(30, 28), metered.finished());
    }

    /** Random answers in the shapes backends give, serialized with random whitespace. */
    private static final class Generator {
        private static final String[] TEXT = {"hello", " ", "\\\"", "\\\\", "\\\\\\\"", "\\\"usage\\\": {", "}", "]",
                "{", "[", ",", ":", "\\n", "\\u00e9", "\u00e9\u2603", "\\/", "usage", "\\\\\\\\"};
        private final Random random;

        Generator(Random random) {
            this.random = random;
        }

        String document() {
            List<String> members = new ArrayList<>();
            members.add(key("id") + string());
            members.add(key("object") + quoted("chat.completion"));
            members.add(key("created") + random.nextInt(Integer.MAX_VALUE));
            members.add(key("choices") + choices());
            if (random.nextBoolean()) {
                members.add(key("timings") + object("prompt_n", "predicted_ms", "predicted_per_second"));
            }
            if (random.nextInt(4) == 0) {
                members.add(key("us\\u0061ge") + usage());
            }
            if (random.nextInt(4) == 0) {
                members.add(key("nested") + "{" + key("usage") + usage() + "}");
            }
            if (random.nextInt(4) == 0) {
                members.add(key("matrix") + "[[1,[2,{\"a\":[]}]],[],{\"b\":{\"c\":null}}]");
            }
            members.add(key("system_fingerprint") + (random.nextBoolean() ? "null" : string()));
            Collections.shuffle(members, random);
            switch (random.nextInt(6)) {
                case 0 -> {
                }
                case 1 -> members.add(random.nextInt(members.size() + 1), key("usage") + switch (random.nextInt(4)) {
                    case 0 -> "null";
                    case 1 -> "[" + usage() + "]";
                    case 2 -> "12";
                    default -> string();
                });
                case 2 -> members.add(0, key("usage") + usage());
                default -> members.add(random.nextInt(members.size() + 1), key("usage") + usage());
            }
            return ws() + "{" + String.join(",", members) + "}" + ws();
        }

        private String usage() {
            List<String> fields = new ArrayList<>();
            for (String name : new String[] {"prompt_tokens", "completion_tokens", "total_tokens"}) {
                if (random.nextInt(5) > 0) {
                    fields.add(key(name) + random.nextInt(100000));
                }
            }
            if (random.nextBoolean()) {
                fields.add(key("prompt_tokens_details") + (random.nextInt(3) == 0 ? "null"
                        : object("cached_tokens", "prompt_tokens")));
            }
            if (random.nextBoolean()) {
                fields.add(key("completion_tokens_details") + object("reasoning_tokens", "completion_tokens"));
            }
            Collections.shuffle(fields, random);
            return "{" + String.join(",", fields) + ws() + "}";
        }

        private String choices() {
            List<String> choices = new ArrayList<>();
            for (int i = random.nextInt(3); i > 0; i--) {
                choices.add(ws() + "{" + key("index") + i + "," + key("message") + "{" + key("role")
                        + quoted("assistant") + "," + key("content") + string() + "}," + key("finish_reason")
                        + quoted("stop") + "}" + ws());
            }
            return "[" + String.join(",", choices) + ws() + "]";
        }

        private String object(String... names) {
            List<String> fields = new ArrayList<>();
            for (String name : names) {
                fields.add(key(name) + (random.nextBoolean() ? random.nextInt(1000)
                        : "-" + random.nextInt(100) + "." + random.nextInt(1000) + "e-" + random.nextInt(9)));
            }
            return "{" + String.join(",", fields) + ws() + "}";
        }

        private String string() {
            StringBuilder text = new StringBuilder();
            int parts = random.nextInt(40) == 0 ? 400 + random.nextInt(400) : random.nextInt(12);
            for (int i = 0; i < parts; i++) {
                text.append(TEXT[random.nextInt(TEXT.length)]);
            }
            return ws() + "\"" + text + "\"" + ws();
        }

        private String quoted(String text) {
            return ws() + "\"" + text + "\"" + ws();
        }

        private String key(String name) {
            return quoted(name) + ":" + ws();
        }

        private String ws() {
            return switch (random.nextInt(8)) {
                case 0 -> " ";
                case 1 -> "\n  ";
                case 2 -> "\t\r\n";
                default -> "";
            };
        }
    }
}
