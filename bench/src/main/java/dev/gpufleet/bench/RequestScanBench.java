package dev.gpufleet.bench;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.gpufleet.gateway.forwarding.ForwardRequest;
import dev.gpufleet.gateway.routing.PrefixKey;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * What reading {@code model}, {@code stream} and the prompt's affinity key costs per request: the gateway's byte
 * scan ({@link ForwardRequest#parse}) against the Jackson streaming parse it replaced (a copy below, then
 * {@link PrefixKey#of} over its text), on a 1 KB and a 16 KB chat request (the gateway's test fixtures), one
 * thread, after a warm-up. Prints ns/op and bytes allocated per op. Usage:
 * {@code bench/run requestScan [SECONDS_PER_ROW]} (default 2; run from the repository root).
 */
public final class RequestScanBench {
    private static final Path FIXTURES = Path.of("gateway/src/test/resources/forward-requests");
    private static final int ROUNDS = 5;

    private interface Parse {
        ForwardRequest parse(byte[] body) throws Exception;
    }

    public static void main(String[] args) throws Exception {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 2;
        String[] files = {"chat-1k.json", "chat-long-16k.json"};
        String[] names = {"scanner", "scanner, no key (a model with one instance)", "jackson (before)"};
        Parse[] parsers = {ForwardRequest::parse, body -> ForwardRequest.parse(body, 0, body.length,
                ForwardRequest.DEFAULT_BLOCK_CHARS, ForwardRequest.DEFAULT_BLOCKS, model -> false),
                JacksonBaseline::parse};
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        System.out.println("requestScan: " + ROUNDS + " interleaved rounds of " + seconds + " s per row, best round;"
                + " JDK " + Runtime.version() + ", " + Runtime.getRuntime().availableProcessors() + " CPUs");
        System.out.println();
        System.out.println("| body | parser | ns/op | MB/s | bytes allocated/op |");
        System.out.println("|---|---|---|---|---|");
        for (String file : files) {
            byte[] body = Files.readAllBytes(FIXTURES.resolve(file));
            ForwardRequest expected = parsers[2].parse(body);
            if (!expected.equals(parsers[0].parse(body))
                    || !new ForwardRequest(expected.model(), expected.stream()).equals(parsers[1].parse(body))) {
                throw new IllegalStateException("the parsers disagree on " + file);
            }
            double[][] nanos = new double[parsers.length][ROUNDS];
            double[][] bytes = new double[parsers.length][ROUNDS];
            for (int p = 0; p < parsers.length; p++) {
                run(parsers[p], body, seconds, threads); // warm-up
            }
            for (int round = 0; round < ROUNDS; round++) {
                for (int p = 0; p < parsers.length; p++) {
                    double[] result = run(parsers[p], body, seconds, threads);
                    nanos[p][round] = result[0];
                    bytes[p][round] = result[1];
                }
            }
            for (int p = 0; p < parsers.length; p++) {
                double best = Arrays.stream(nanos[p]).min().orElseThrow();
                System.out.printf("| %s (%,d B) | %s | %,.0f | %,.0f | %,.0f |%n", file, body.length, names[p], best,
                        body.length / best * 1e9 / 1e6, Arrays.stream(bytes[p]).min().orElseThrow());
            }
        }
    }

    /** {ns/op, bytes allocated/op} over about {@code seconds}. */
    private static double[] run(Parse parser, byte[] body, double seconds, com.sun.management.ThreadMXBean threads)
            throws Exception {
        long thread = Thread.currentThread().getId();
        long deadline = System.nanoTime() + (long) (seconds * 1e9);
        long ops = 0;
        int sink = 0;
        long allocatedBefore = threads.getThreadAllocatedBytes(thread);
        long start = System.nanoTime();
        long now;
        do {
            for (int i = 0; i < 256; i++) {
                ForwardRequest request = parser.parse(body);
                sink += (int) request.affinityKey().orElse(0) + request.model().length();
            }
            ops += 256;
            now = System.nanoTime();
        } while (now < deadline);
        long allocated = threads.getThreadAllocatedBytes(thread) - allocatedBefore;
        if (sink == 42) {
            System.out.print("");
        }
        return new double[] {(double) (now - start) / ops, (double) allocated / ops};
    }

    /**
     * ForwardRequest.parse as it was before the byte scan (Jackson, default settings), with the key made from the
     * text as the gateway then did; errors left out.
     */
    static final class JacksonBaseline {
        private static final JsonFactory JSON = new JsonFactory();

        static ForwardRequest parse(byte[] body) throws IOException {
            String model = null;
            boolean stream = false;
            StringBuilder leading = new StringBuilder();
            try (JsonParser parser = JSON.createParser(body, 0, body.length)) {
                if (parser.nextToken() != JsonToken.START_OBJECT) {
                    throw new IOException("not an object");
                }
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    String field = parser.currentName();
                    JsonToken value = parser.nextToken();
                    if ("model".equals(field)) {
                        model = value == JsonToken.VALUE_STRING ? parser.getText() : null;
                    } else if ("stream".equals(field)) {
                        stream = value == JsonToken.VALUE_TRUE;
                    } else if ("messages".equals(field) || "prompt".equals(field) || "input".equals(field)
                            || "query".equals(field)) {
                        collectText(parser, leading);
                        continue;
                    }
                    parser.skipChildren();
                }
                if (parser.nextToken() != null) {
                    throw new IOException("more than one object");
                }
            }
            return new ForwardRequest(model, stream, PrefixKey.of(leading.toString(),
                    ForwardRequest.DEFAULT_BLOCK_CHARS, ForwardRequest.DEFAULT_BLOCKS));
        }

        private static void collectText(JsonParser parser, StringBuilder into) throws IOException {
            JsonToken token = parser.currentToken();
            if (token == JsonToken.VALUE_STRING) {
                String text = parser.getText();
                int room = ForwardRequest.MAX_LEADING_CHARS - into.length();
                if (room > 0) {
                    into.append(text, 0, Math.min(room, text.length()));
                }
            } else if (token == JsonToken.START_ARRAY) {
                for (JsonToken next = parser.nextToken(); next != JsonToken.END_ARRAY; next = parser.nextToken()) {
                    collectText(parser, into);
                }
            } else if (token == JsonToken.START_OBJECT) {
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    String field = parser.currentName();
                    parser.nextToken();
                    if ("content".equals(field) || "text".equals(field)) {
                        collectText(parser, into);
                    } else {
                        parser.skipChildren();
                    }
                }
            }
        }
    }
}
