package dev.gpufleet.registry.hub;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A hub on 127.0.0.1 that answers like Hugging Face / ModelScope: JSON listings from fixtures, files with Range
 * support, redirects, and the failure modes the clients must name (404, 401 without the right token, slow,
 * truncated, 500, Range ignored). Records every request's path and Authorization header.
 */
final class FakeHub implements AutoCloseable {
    static final String TOKEN = "hf_fake_secret_token_7d2b9c";

    record Seen(String path, String query, String authorization, String range) {
    }

    private final HttpServer server;
    private final java.util.concurrent.ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "fake-hub");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, byte[]> json = new ConcurrentHashMap<>();
    private final Map<String, byte[]> files = new ConcurrentHashMap<>();
    final List<Seen> seen = new CopyOnWriteArrayList<>();
    /** Where {@code /redirect-away/...} sends file requests: another origin. */
    volatile URI elsewhere;

    FakeHub() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    FakeHub json(String path, String resource) {
        try (InputStream in = FakeHub.class.getResourceAsStream("/hub/" + resource)) {
            json.put(path, in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    FakeHub jsonText(String path, String body) {
        json.put(path, body.getBytes(StandardCharsets.UTF_8));
        return this;
    }

    /** A file served at {@code /cdn/{name}}; hub resolve URLs redirect there. */
    FakeHub file(String name, byte[] bytes) {
        files.put(name, bytes);
        return this;
    }

    byte[] bytesOf(String name) {
        return files.get(name);
    }

    private static final Pattern HF_RESOLVE = Pattern.compile("/[^/]+/[^/]+/resolve/[^/]+/(.+)");
    private static final Pattern MS_FILE = Pattern.compile(".*[?&]FilePath=([^&]+).*");

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            String query = exchange.getRequestURI().getRawQuery();
            String auth = exchange.getRequestHeaders().getFirst("Authorization");
            String range = exchange.getRequestHeaders().getFirst("Range");
            seen.add(new Seen(path, query, auth, range));

            if (path.contains("/private/") && !("Bearer " + TOKEN).equals(auth)) {
                status(exchange, 401, "{\"error\":\"Invalid username or password.\"}");
                return;
            }
            if (path.contains("/gated/")) {
                status(exchange, 403, "{\"error\":\"Access to model gated/x is restricted.\"}");
                return;
            }
            if (path.contains("/down/")) {
                status(exchange, 503, "{\"error\":\"Service Unavailable\"}");
                return;
            }
            if (path.contains("/slow/")) {
                sleep(3_000);
                status(exchange, 200, "{\"siblings\":[]}");
                return;
            }
            if (path.contains("/slowbody/")) {
                exchange.sendResponseHeaders(200, 1000);
                OutputStream out = exchange.getResponseBody();
                out.write("{\"siblings\":[".getBytes(StandardCharsets.UTF_8));
                out.flush();
                sleep(3_000);
                return;
            }
            if (path.contains("/truncated/")) {
                byte[] part = "{\"siblings\":[{\"rfilename\":".getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(200, 5000);
                exchange.getResponseBody().write(part);
                exchange.getResponseBody().flush();
                return; // closing with fewer bytes than Content-Length promised
            }
            byte[] listing = json.get(path);
            if (listing != null) {
                status(exchange, 200, listing);
                return;
            }
            Matcher resolve = HF_RESOLVE.matcher(path);
            if (resolve.matches()) {
                String name = resolve.group(1);
                URI base = path.contains("/redirect-away/") ? elsewhere : URI.create("");
                redirect(exchange, base + "/cdn/" + name);
                return;
            }
            Matcher msFile = query == null ? null : MS_FILE.matcher("?" + query);
            if (path.endsWith("/repo") && msFile != null && msFile.matches()) {
                serve(exchange, java.net.URLDecoder.decode(msFile.group(1), StandardCharsets.UTF_8), range, false,
                        false);
                return;
            }
            if (path.startsWith("/cdn/")) {
                String name = path.substring("/cdn/".length());
                serve(exchange, name.replace("ignores-range/", "").replace("short/", ""), range,
                        name.startsWith("ignores-range/"), name.startsWith("short/"));
                return;
            }
            status(exchange, 404, "{\"error\":\"Repository not found\"}");
        }
    }

    private void serve(HttpExchange exchange, String name, String range, boolean ignoreRange, boolean shortBody)
            throws IOException {
        byte[] bytes = files.get(name);
        if (bytes == null) {
            status(exchange, 404, "{\"error\":\"Entry not found\"}");
            return;
        }
        exchange.getResponseHeaders().add("Accept-Ranges", "bytes");
        if (range == null || ignoreRange) {
            exchange.sendResponseHeaders(200, bytes.length);
            try {
                exchange.getResponseBody().write(bytes);
            } catch (IOException clientWentAway) {
                // expected: the client stops reading once it has the bytes it asked for
            }
            return;
        }
        Matcher m = Pattern.compile("bytes=(\\d+)-(\\d+)").matcher(range);
        if (!m.matches()) {
            status(exchange, 400, "bad range");
            return;
        }
        long from = Long.parseLong(m.group(1));
        long to = Math.min(Long.parseLong(m.group(2)), bytes.length - 1L);
        if (from >= bytes.length) {
            exchange.getResponseHeaders().add("Content-Range", "bytes */" + bytes.length);
            exchange.sendResponseHeaders(416, -1);
            return;
        }
        int length = (int) (to - from + 1);
        exchange.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + to + "/" + bytes.length);
        exchange.sendResponseHeaders(206, length);
        exchange.getResponseBody().write(bytes, (int) from, shortBody ? length / 2 : length);
    }

    private static void redirect(HttpExchange exchange, String location) throws IOException {
        exchange.getResponseHeaders().add("Location", location);
        exchange.sendResponseHeaders(302, -1);
    }

    private static void status(HttpExchange exchange, int status, String body) throws IOException {
        status(exchange, status, body.getBytes(StandardCharsets.UTF_8));
    }

    private static void status(HttpExchange exchange, int status, byte[] body) throws IOException {
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        exchange.getResponseBody().write(body);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
