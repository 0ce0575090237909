package dev.gpufleet.worker.download;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A local server that answers like Hugging Face and ModelScope for the calls the downloader makes: the listings
 * ({@code /api/models/{repo}/revision/{rev}?blobs=true}, {@code /api/v1/models/{id}/repo/files}) and the files
 * ({@code /{repo}/resolve/{rev}/{path}} redirecting to {@code /cdn/...} like the real CDN hop,
 * {@code /api/v1/models/{id}/repo?FilePath=}), with {@code Range}. Each file can be told to misbehave: answer a
 * status, send slowly, break off or stall after some bytes (the first N times), or list a wrong checksum.
 */
public final class FakeHub implements AutoCloseable {
    private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-");

    public static final class Served {
        final byte[] bytes;
        String listedSha256;
        int status = 200;
        /** bytes sent per 10 ms; 0 = as fast as possible */
        public int bytesPer10Ms;
        long breakAfter = -1;
        int breaks;
        long stallAfter = -1;
        int stalls;

        Served(byte[] bytes) {
            this.bytes = bytes;
            this.listedSha256 = sha256(bytes);
        }
    }

    /** One file request as received. */
    record Request(String file, String range, String authorization) {
    }

    private final HttpServer server;
    private final Map<String, Map<String, Served>> repos = new ConcurrentHashMap<>();
    final List<Request> requests = new CopyOnWriteArrayList<>();
    final List<String> authorizations = new CopyOnWriteArrayList<>();
    final AtomicInteger listings = new AtomicInteger();
    private final CountDownLatch closed = new CountDownLatch(1);

    public FakeHub() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        server.createContext("/", this::handle);
        server.setExecutor(Executors.newCachedThreadPool());
        server.start();
    }

    public String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public Served put(String repo, String path, byte[] bytes) {
        Served served = new Served(bytes);
        repos.computeIfAbsent(repo, r -> new ConcurrentHashMap<>()).put(path, served);
        return served;
    }

    List<Request> requestsFor(String file) {
        return requests.stream().filter(r -> r.file().equals(file)).toList();
    }

    @Override
    public void close() {
        closed.countDown();
        server.stop(0);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = URLDecoder.decode(exchange.getRequestURI().getRawPath(), StandardCharsets.UTF_8);
            Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
            authorizations.add(String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
            Matcher m;
            if ((m = Pattern.compile("/api/models/(.+)/revision/([^/]+)").matcher(path)).matches()) {
                listing(exchange, m.group(1), true);
            } else if ((m = Pattern.compile("/api/v1/models/(.+)/repo/files").matcher(path)).matches()) {
                listing(exchange, m.group(1), false);
            } else if ((m = Pattern.compile("/api/v1/models/(.+)/repo").matcher(path)).matches()) {
                file(exchange, m.group(1), query.get("FilePath"));
            } else if ((m = Pattern.compile("/cdn/([^/]+/[^/]+)/(.+)").matcher(path)).matches()) {
                file(exchange, m.group(1), m.group(2));
            } else if ((m = Pattern.compile("/([^/]+/[^/]+)/resolve/([^/]+)/(.+)").matcher(path)).matches()) {
                exchange.getResponseHeaders().add("Location", "/cdn/" + m.group(1) + "/" + m.group(3));
                exchange.sendResponseHeaders(302, -1);
            } else {
                exchange.sendResponseHeaders(404, -1);
            }
        }
    }

    private void listing(HttpExchange exchange, String repo, boolean huggingFace) throws IOException {
        listings.incrementAndGet();
        Map<String, Served> files = repos.get(repo);
        if (files == null) {
            send(exchange, 404, huggingFace ? "{\"error\":\"Repository not found\"}"
                    : "{\"Code\":10010205,\"Message\":\"model not found\"}");
            return;
        }
        List<String> entries = new ArrayList<>();
        files.forEach((name, served) -> entries.add(huggingFace
                ? "{\"rfilename\":\"" + name + "\",\"size\":" + served.bytes.length + ",\"lfs\":{\"sha256\":\""
                + served.listedSha256 + "\",\"size\":" + served.bytes.length + ",\"pointerSize\":135}}"
                : "{\"Name\":\"" + name.substring(name.lastIndexOf('/') + 1) + "\",\"Path\":\"" + name
                + "\",\"Size\":" + served.bytes.length + ",\"Sha256\":\"" + served.listedSha256
                + "\",\"Type\":\"blob\",\"IsLFS\":true}"));
        send(exchange, 200, huggingFace ? "{\"id\":\"" + repo + "\",\"siblings\":[" + String.join(",", entries) + "]}"
                : "{\"Code\":200,\"Data\":{\"Files\":[" + String.join(",", entries) + "]},\"Success\":true}");
    }

    private void file(HttpExchange exchange, String repo, String name) throws IOException {
        String range = exchange.getRequestHeaders().getFirst("Range");
        requests.add(new Request(name, range, exchange.getRequestHeaders().getFirst("Authorization")));
        Served served = repos.getOrDefault(repo, Map.of()).get(name);
        if (served == null) {
            exchange.sendResponseHeaders(404, -1);
            return;
        }
        if (served.status != 200) {
            exchange.sendResponseHeaders(served.status, -1);
            return;
        }
        long from = 0;
        Matcher m = range == null ? null : RANGE.matcher(range);
        if (m != null && m.matches()) {
            from = Long.parseLong(m.group(1));
            if (from >= served.bytes.length) {
                exchange.getResponseHeaders().add("Content-Range", "bytes */" + served.bytes.length);
                exchange.sendResponseHeaders(416, -1);
                return;
            }
            exchange.getResponseHeaders().add("Content-Range",
                    "bytes " + from + "-" + (served.bytes.length - 1) + "/" + served.bytes.length);
            exchange.sendResponseHeaders(206, served.bytes.length - from);
        } else {
            exchange.sendResponseHeaders(200, served.bytes.length);
        }
        OutputStream out = exchange.getResponseBody();
        long position = from;
        int chunk = served.bytesPer10Ms > 0 ? served.bytesPer10Ms : 8192;
        boolean breakNow = false;
        boolean stallNow = false;
        synchronized (served) {
            if (served.breaks > 0) {
                served.breaks--;
                breakNow = true;
            }
            if (served.stalls > 0) {
                served.stalls--;
                stallNow = true;
            }
        }
        while (position < served.bytes.length) {
            if (breakNow && position >= served.breakAfter) {
                return; // closes the connection short of the Content-Length
            }
            if (stallNow && position >= served.stallAfter) {
                out.flush();
                awaitQuietly(30_000);
                return;
            }
            int n = (int) Math.min(chunk, served.bytes.length - position);
            if (breakNow && position < served.breakAfter) {
                n = (int) Math.min(n, served.breakAfter - position);
            }
            if (stallNow && position < served.stallAfter) {
                n = (int) Math.min(n, served.stallAfter - position);
            }
            try {
                out.write(served.bytes, (int) position, n);
                out.flush();
            } catch (IOException e) {
                return; // the client hung up
            }
            position += n;
            if (served.bytesPer10Ms > 0 && awaitQuietly(10)) {
                return;
            }
        }
        out.close();
    }

    /** @return true when the hub is closing */
    private boolean awaitQuietly(long millis) {
        try {
            return closed.await(millis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true;
        }
    }

    private static void send(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> query = new ConcurrentHashMap<>();
        if (raw != null) {
            for (String pair : raw.split("&")) {
                int eq = pair.indexOf('=');
                if (eq > 0) {
                    query.put(pair.substring(0, eq), URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
                }
            }
        }
        return query;
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Model bytes the stand-in llama-box reads as its behaviour, padded to {@code size} with comment lines. */
    public static byte[] standInModel(int size, String... behaviour) {
        StringBuilder text = new StringBuilder();
        for (String line : behaviour) {
            text.append(line).append('\n');
        }
        while (text.length() < size) {
            text.append("# padding ").append(text.length()).append('\n');
        }
        return text.toString().getBytes(StandardCharsets.UTF_8);
    }
}
