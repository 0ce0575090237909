package dev.gpufleet.gateway.usage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UsageParsingTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Fed in pieces of every size from 1 byte up: the usage is found wherever the chunks split it. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "{\"id\":\"c\",\"choices\":[{\"message\":{\"usage\":{\"prompt_tokens\":99}}}],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":7,\"total_tokens\":12}}|5|7",
            "{\"usage\":{\"prompt_tokens\":3,\"total_tokens\":3},\"data\":[{\"embedding\":[0.5,1]}]}|3|0",
            "{\"usage\":{\"total_tokens\":9}}|9|0",
            "{\"usage\":{\"prompt_tokens\":2,\"completion_tokens\":1,\"details\":{\"prompt_tokens\":50}}}|2|1",
            // strings that look like structure: quotes, braces and the key itself inside text are stepped over
            "{\"choices\":[{\"message\":{\"content\":\"say \\\"usage\\\": {\\\"prompt_tokens\\\": 40} } ] [ \\\\\"}}],\"usage\":{\"prompt_tokens\":11,\"completion_tokens\":4}}|11|4",
            // whitespace everywhere, a key escaped (never ours), numbers in other shapes, unicode text
            "{ \"usage\" : { \"prompt_tokens\" : 21 , \"completion_tokens\" : 3 , \"cost\" : -1.5e3 } , \"x\" : [ true , null , \"\u00e9\u2603\" ] }|21|3",
            "{\"us\\u0061ge\":{\"prompt_tokens\":9},\"usage\":{\"prompt_tokens\":8,\"completion_tokens\":2}}|8|2",
            // vLLM's usage carries prompt_tokens_details; the details' own counts are not the usage
            "{\"usage\":{\"prompt_tokens\":30,\"total_tokens\":40,\"completion_tokens\":10,\"prompt_tokens_details\":{\"cached_tokens\":16}}}|30|10",
    })
    void theTopLevelUsageWhereverTheChunksSplit(String body, long prompt, long completion) {
        byte[] all = bytes(body);
        for (int size = 1; size <= all.length; size++) {
            UsageScanner scanner = UsageScanner.incremental();
            for (int at = 0; at < all.length; at += size) {
                byte[] piece = new byte[Math.min(size, all.length - at)];
                System.arraycopy(all, at, piece, 0, piece.length);
                scanner.feed(piece);
            }
            scanner.end();
            assertEquals(new TokenUsage(prompt, completion), scanner.usage(), "chunks of " + size);
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"{\"choices\":[]}", "{\"usage\":null}", "not json at all", "[1,2]",
            "{\"nested\":{\"usage\":{\"prompt_tokens\":1}}}", "{\"text\":\"\\\"usage\\\":{\\\"prompt_tokens\\\":1}\"}",
            "  \"a string\"", "''", "'   '"})
    void noUsageWhenThereIsNone(String body) {
        UsageScanner scanner = UsageScanner.incremental();
        scanner.feed(bytes(body));
        scanner.end();
        assertNull(scanner.usage());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            // no stream_options: inserted first; the client did not ask
            "{\"model\":\"m\",\"stream\":true}|false",
            "{\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":true}}|true",
            "{\"model\":\"m\",\"stream_options\":{\"include_usage\":false}}|false",
            "{\"model\":\"m\",\"stream_options\":{\"continuous_usage_stats\":true}}|false",
            "{\"model\":\"m\",\"stream_options\":null}|false",
            "{}|false",
    })
    void aStreamAsksItsBackendForUsage(String body, boolean clientAsked) throws Exception {
        StreamOptions options = StreamOptions.withUsage(bytes(body));
        assertEquals(clientAsked, options.clientAskedForUsage());
        JsonNode sent = JSON.readTree(options.body());
        assertTrue(sent.path("stream_options").path("include_usage").asBoolean(), new String(options.body()));
        JsonNode original = JSON.readTree(body);
        original.fieldNames().forEachRemaining(field -> {
            if (!field.equals("stream_options")) {
                assertEquals(original.get(field), sent.get(field), field);
            }
        });
        if (body.contains("continuous_usage_stats")) {
            assertTrue(sent.path("stream_options").path("continuous_usage_stats").asBoolean());
        }
    }

    @Test
    void aClientThatAskedGetsItsBodyUnchanged() {
        byte[] body = bytes("{\"model\":\"m\", \"stream_options\": {\"include_usage\": true}}");
        assertArrayEquals(body, StreamOptions.withUsage(body).body());
    }

    private static final String CONTENT = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"}}]}\n\n";
    private static final String USAGE_ONLY = "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":11,"
            + "\"completion_tokens\":2,\"total_tokens\":13}}\n\n";
    private static final String DONE = "data: [DONE]\n\n";

    private static String run(SseUsageFilter filter, String stream, int size) {
        byte[] all = bytes(stream);
        List<byte[]> out = new ArrayList<>();
        for (int at = 0; at < all.length; at += size) {
            byte[] piece = new byte[Math.min(size, all.length - at)];
            System.arraycopy(all, at, piece, 0, piece.length);
            out.add(filter.accept(piece));
        }
        out.add(filter.rest());
        StringBuilder text = new StringBuilder();
        out.forEach(b -> text.append(new String(b, StandardCharsets.UTF_8)));
        return text.toString();
    }

    @Test
    void theUsageChunkIsSwallowedWhenOnlyTheGatewayAskedForIt() {
        String stream = CONTENT + CONTENT + USAGE_ONLY + DONE;
        for (int size = 1; size <= stream.length(); size++) {
            SseUsageFilter filter = new SseUsageFilter(true);
            assertEquals(CONTENT + CONTENT + DONE, run(filter, stream, size), "chunks of " + size);
            assertEquals(new TokenUsage(11, 2), filter.usage());
            assertEquals(2, filter.contentChunks());
        }
    }

    /** Whole events with nothing to drop, the usual chunk, go on as they came: the same array, not a copy. */
    @Test
    void aChunkOfWholeEventsIsNotCopied() {
        SseUsageFilter filter = new SseUsageFilter(true);
        byte[] events = bytes(CONTENT + CONTENT);
        assertSame(events, filter.accept(events));
        byte[] withUsage = bytes(CONTENT + USAGE_ONLY);
        assertEquals(CONTENT, new String(filter.accept(withUsage), StandardCharsets.UTF_8));
        byte[] cut = bytes(CONTENT + "data: {\"cho");
        assertEquals(CONTENT, new String(filter.accept(cut), StandardCharsets.UTF_8));
    }

    @Test
    void theUsageChunkPassesWhenTheClientAskedForIt() {
        String stream = CONTENT + USAGE_ONLY.replace("\n\n", "\r\n\r\n") + DONE;
        for (int size = 1; size <= stream.length(); size += 7) {
            SseUsageFilter filter = new SseUsageFilter(false);
            assertEquals(stream, run(filter, stream, size), "chunks of " + size);
            assertEquals(new TokenUsage(11, 2), filter.usage());
        }
    }

    @Test
    void usageInAChunkWithContentIsReadButTheChunkStays() {
        String last = "data: {\"choices\":[{\"delta\":{\"content\":\"!\"},\"finish_reason\":\"stop\"}],"
                + "\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":3}}\n\n";
        SseUsageFilter filter = new SseUsageFilter(true);
        assertEquals(CONTENT + last + DONE, run(filter, CONTENT + last + DONE, 5));
        assertEquals(new TokenUsage(4, 3), filter.usage());
    }

    @Test
    void aStreamWithoutUsageCountsItsContentChunks() {
        SseUsageFilter filter = new SseUsageFilter(true);
        run(filter, ": keep-alive comment\n\n" + CONTENT + CONTENT + CONTENT, 10);
        assertNull(filter.usage());
        assertEquals(3, filter.contentChunks());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"abcdefghijkl\"}]}|4",
            "{\"model\":\"m\",\"prompt\":\"abcdefgh\"}|2",
            "{\"model\":\"m\",\"input\":[\"abcd\",\"efgh\",\"i\"]}|3",
            "{\"model\":\"a-very-long-model-name-that-is-no-prompt\"}|0",
    })
    void aPromptEstimateCountsOnlyThePromptsText(String body, long tokens) {
        assertEquals(tokens, PromptEstimate.tokens(bytes(body)));
    }
}
