package dev.gpufleet.localstack.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.zip.GZIPInputStream;

/**
 * A trace collector for tests: a real OTLP/HTTP endpoint ({@code POST /v1/traces}, protobuf, gzip or not) that
 * decodes each export request (the few fields of {@code ExportTraceServiceRequest} a test looks at) and keeps the
 * spans. A test reads them back over HTTP ({@link #spans(String)}, {@code GET /spans}), since the app under test and
 * the test class live in different class loaders.
 */
public final class OtlpReceiver implements AutoCloseable {
    /** One span as exported: ids in lower-case hex, no parent as "", kind as OTLP numbers it (2 server, 3 client…). */
    public record ReceivedSpan(String service, String traceId, String spanId, String parentSpanId, int kind,
                               String name, Map<String, String> attributes) {
        public static final int SERVER = 2;
        public static final int CLIENT = 3;
        public static final int CONSUMER = 5;

        String line() {
            StringBuilder out = new StringBuilder();
            out.append(esc(service)).append('\t').append(traceId).append('\t').append(spanId).append('\t')
                    .append(parentSpanId).append('\t').append(kind).append('\t').append(esc(name));
            attributes.forEach((k, v) -> out.append('\t').append(esc(k)).append('=').append(esc(v)));
            return out.toString();
        }

        static ReceivedSpan parse(String line) {
            String[] f = line.split("\t", -1);
            Map<String, String> attributes = new LinkedHashMap<>();
            for (int i = 6; i < f.length; i++) {
                int eq = f[i].indexOf('=');
                attributes.put(unesc(f[i].substring(0, eq)), unesc(f[i].substring(eq + 1)));
            }
            return new ReceivedSpan(unesc(f[0]), f[1], f[2], f[3], Integer.parseInt(f[4]), unesc(f[5]), attributes);
        }

        private static String esc(String s) {
            return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("=", "\\e");
        }

        private static String unesc(String s) {
            return s.replace("\\e", "=").replace("\\n", "\n").replace("\\t", "\t").replace("\\\\", "\\");
        }
    }

    private final HttpServer server;
    private final List<ReceivedSpan> spans = new CopyOnWriteArrayList<>();

    private OtlpReceiver(HttpServer server) {
        this.server = server;
    }

    /** Listens on a free port of the loopback address. */
    public static OtlpReceiver start() {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
            OtlpReceiver receiver = new OtlpReceiver(server);
            server.createContext("/v1/traces", receiver::export);
            server.createContext("/spans", receiver::list);
            server.setExecutor(Executors.newFixedThreadPool(2, r -> {
                Thread t = new Thread(r, "otlp-receiver");
                t.setDaemon(true);
                return t;
            }));
            server.start();
            return receiver;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The base URL an OTLP/HTTP exporter is pointed at. */
    public String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Every span the receiver at {@code endpoint} holds, in the order they came. */
    public static List<ReceivedSpan> spans(String endpoint) {
        try {
            HttpResponse<String> answer = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create(endpoint + "/spans")).build(),
                    HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            List<ReceivedSpan> out = new ArrayList<>();
            for (String line : answer.body().split("\n")) {
                if (!line.isEmpty()) {
                    out.add(ReceivedSpan.parse(line));
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void export(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!"POST".equals(exchange.getRequestMethod())) {
                exchange.sendResponseHeaders(405, -1);
                return;
            }
            InputStream in = exchange.getRequestBody();
            if ("gzip".equalsIgnoreCase(exchange.getRequestHeaders().getFirst("Content-Encoding"))) {
                in = new GZIPInputStream(in);
            }
            byte[] body = in.readAllBytes();
            String type = String.valueOf(exchange.getRequestHeaders().getFirst("Content-Type"));
            if (!type.startsWith("application/x-protobuf")) {
                byte[] why = ("only application/x-protobuf, got " + type).getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(415, why.length);
                exchange.getResponseBody().write(why);
                return;
            }
            try {
                spans.addAll(decode(body));
            } catch (RuntimeException malformed) {
                byte[] why = String.valueOf(malformed).getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(400, why.length);
                exchange.getResponseBody().write(why);
                return;
            }
            exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
            exchange.sendResponseHeaders(200, -1); // an empty ExportTraceServiceResponse: all accepted
        }
    }

    private void list(HttpExchange exchange) throws IOException {
        try (exchange) {
            ByteArrayOutputStream text = new ByteArrayOutputStream();
            for (ReceivedSpan span : spans) {
                text.writeBytes((span.line() + "\n").getBytes(StandardCharsets.UTF_8));
            }
            exchange.getResponseHeaders().add("Content-Type", "text/plain; charset=utf-8");
            exchange.sendResponseHeaders(200, text.size());
            try (OutputStream out = exchange.getResponseBody()) {
                text.writeTo(out);
            }
        }
    }

    /** The spans of an {@code ExportTraceServiceRequest} (opentelemetry-proto, collector/trace/v1). */
    static List<ReceivedSpan> decode(byte[] request) {
        List<ReceivedSpan> out = new ArrayList<>();
        Wire r = new Wire(request, 0, request.length);
        while (r.more()) {
            int tag = r.tag();
            if (tag >>> 3 == 1 && (tag & 7) == 2) {
                resourceSpans(r.message(), out);
            } else {
                r.skip(tag);
            }
        }
        return out;
    }

    private static void resourceSpans(Wire r, List<ReceivedSpan> out) {
        String service = "";
        List<Wire> scopes = new ArrayList<>();
        while (r.more()) {
            int tag = r.tag();
            int field = tag >>> 3;
            if (field == 1 && (tag & 7) == 2) { // Resource
                Wire resource = r.message();
                while (resource.more()) {
                    int t = resource.tag();
                    if (t >>> 3 == 1 && (t & 7) == 2) {
                        String[] kv = keyValue(resource.message());
                        if (kv[0].equals("service.name")) {
                            service = kv[1];
                        }
                    } else {
                        resource.skip(t);
                    }
                }
            } else if (field == 2 && (tag & 7) == 2) { // ScopeSpans
                scopes.add(r.message());
            } else {
                r.skip(tag);
            }
        }
        for (Wire scope : scopes) {
            while (scope.more()) {
                int tag = scope.tag();
                if (tag >>> 3 == 2 && (tag & 7) == 2) {
                    out.add(span(service, scope.message()));
                } else {
                    scope.skip(tag);
                }
            }
        }
    }

    private static ReceivedSpan span(String service, Wire r) {
        String traceId = "";
        String spanId = "";
        String parent = "";
        String name = "";
        int kind = 0;
        Map<String, String> attributes = new LinkedHashMap<>();
        HexFormat hex = HexFormat.of();
        while (r.more()) {
            int tag = r.tag();
            switch (tag >>> 3) {
                case 1 -> traceId = hex.formatHex(r.bytes());
                case 2 -> spanId = hex.formatHex(r.bytes());
                case 4 -> parent = hex.formatHex(r.bytes());
                case 5 -> name = r.string();
                case 6 -> kind = (int) r.varint();
                case 9 -> {
                    String[] kv = keyValue(r.message());
                    attributes.put(kv[0], kv[1]);
                }
                default -> r.skip(tag);
            }
        }
        return new ReceivedSpan(service, traceId, spanId, parent, kind, name, attributes);
    }

    /** A KeyValue's key and its value as text (string, bool, int or double). */
    private static String[] keyValue(Wire r) {
        String key = "";
        String value = "";
        while (r.more()) {
            int tag = r.tag();
            if (tag >>> 3 == 1) {
                key = r.string();
            } else if (tag >>> 3 == 2) {
                Wire any = r.message();
                while (any.more()) {
                    int t = any.tag();
                    switch (t >>> 3) {
                        case 1 -> value = any.string();
                        case 2 -> value = String.valueOf(any.varint() != 0);
                        case 3 -> value = String.valueOf(any.varint());
                        case 4 -> value = String.valueOf(Double.longBitsToDouble(any.fixed64()));
                        default -> any.skip(t);
                    }
                }
            } else {
                r.skip(tag);
            }
        }
        return new String[] {key, value};
    }

    /** Protocol buffers' wire format, as far as the fields above need it. */
    private static final class Wire {
        private final byte[] b;
        private int pos;
        private final int end;

        Wire(byte[] b, int pos, int end) {
            this.b = b;
            this.pos = pos;
            this.end = end;
        }

        boolean more() {
            return pos < end;
        }

        int tag() {
            return (int) varint();
        }

        long varint() {
            long value = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                byte x = b[pos++];
                value |= (long) (x & 0x7f) << shift;
                if (x >= 0) {
                    return value;
                }
            }
            throw new IllegalArgumentException("malformed varint");
        }

        long fixed64() {
            long value = 0;
            for (int i = 0; i < 8; i++) {
                value |= (long) (b[pos++] & 0xff) << (8 * i);
            }
            return value;
        }

        byte[] bytes() {
            int length = (int) varint();
            byte[] out = java.util.Arrays.copyOfRange(b, pos, pos + length);
            pos += length;
            return out;
        }

        String string() {
            return new String(bytes(), StandardCharsets.UTF_8);
        }

        Wire message() {
            int length = (int) varint();
            Wire inner = new Wire(b, pos, pos + length);
            pos += length;
            return inner;
        }

        void skip(int tag) {
            switch (tag & 7) {
                case 0 -> varint();
                case 1 -> pos += 8;
                case 2 -> {
                    int length = (int) varint(); // read before pos: `pos += varint()` would add to the old pos
                    pos += length;
                }
                case 5 -> pos += 4;
                default -> throw new IllegalArgumentException("unsupported wire type " + (tag & 7));
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
