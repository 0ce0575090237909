package dev.gpufleet.cli;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The gateway's public API: JSON in and out, every error turned into a {@link CliException} with the server's
 * message and the exit code its status means.
 *
 * <p>On the JDK's {@link HttpURLConnection} rather than {@code java.net.http}: that client sets up TLS (its SSL
 * context and the trust store) when it is built, even for {@code http://}, which cost a fresh JVM more than the rest
 * of a command's request (bench/README.md, cli); this one does so only for an {@code https://} server.
 */
public final class Api {
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);
    /** The API's largest page: lists are read whole, in as few requests as it allows. */
    static final int PAGE_SIZE = 500;

    private final Settings settings;
    private final String noKeyHelp;

    /** @param noKeyHelp the error when a request is to be made and there is no key */
    public Api(Settings settings, String noKeyHelp) {
        this.settings = settings;
        this.noKeyHelp = noKeyHelp;
    }

    public String server() {
        return settings.server();
    }

    public JsonNode get(String path) {
        return json(exchange("GET", path, null));
    }

    /** Every item of a paged list, page after page. */
    public List<JsonNode> list(String path) {
        List<JsonNode> items = new ArrayList<>();
        String separator = path.contains("?") ? "&" : "?";
        for (int page = 1; ; page++) {
            JsonNode answer = get(path + separator + "per_page=" + PAGE_SIZE + "&page=" + page);
            answer.path("items").forEach(items::add);
            if (page >= answer.path("pagination").path("total_pages").asInt(1)) {
                return items;
            }
        }
    }

    public JsonNode post(String path, JsonNode body) {
        return json(exchange("POST", path, body));
    }

    public JsonNode put(String path, JsonNode body) {
        return json(exchange("PUT", path, body));
    }

    public void delete(String path) {
        exchange("DELETE", path, null);
    }

    /**
     * A request whose answer is read as it arrives (a log followed, a streamed chat): no read timeout. The caller
     * closes the stream.
     */
    public InputStream stream(String method, String path, JsonNode body) {
        HttpURLConnection connection = open(method, path, body, false);
        int status = status(connection);
        if (status / 100 != 2) {
            throw failure(status, errorBody(connection));
        }
        try {
            return connection.getInputStream();
        } catch (IOException e) {
            throw broken(e);
        }
    }

    public static String encode(String pathSegmentOrQueryValue) {
        return URLEncoder.encode(pathSegmentOrQueryValue, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** The answer's body of a 2xx; a {@link CliException} for anything else. */
    private String exchange(String method, String path, JsonNode body) {
        HttpURLConnection connection = open(method, path, body, true);
        int status = status(connection);
        if (status / 100 != 2) {
            throw failure(status, errorBody(connection));
        }
        try (InputStream in = connection.getInputStream()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw broken(e);
        }
    }

    private HttpURLConnection open(String method, String path, JsonNode body, boolean readTimeout) {
        if (settings.apiKey() == null) {
            throw new CliException(ExitCodes.UNAUTHORIZED, noKeyHelp);
        }
        try {
            HttpURLConnection connection = (HttpURLConnection) URI.create(settings.server() + path).toURL()
                    .openConnection();
            connection.setConnectTimeout((int) CONNECT_TIMEOUT.toMillis());
            connection.setReadTimeout(readTimeout ? (int) REQUEST_TIMEOUT.toMillis() : 0);
            connection.setInstanceFollowRedirects(false);
            connection.setRequestMethod(method);
            connection.setRequestProperty("Authorization", "Bearer " + settings.apiKey());
            connection.setRequestProperty("Accept", "application/json, text/event-stream, text/plain");
            if (body != null) {
                // not in streaming mode: in it, a 401 would come back as an HttpRetryException instead of the answer
                byte[] bytes = Json.compact(body).getBytes(StandardCharsets.UTF_8);
                connection.setDoOutput(true);
                connection.setRequestProperty("Content-Type", "application/json");
                try (OutputStream out = connection.getOutputStream()) {
                    out.write(bytes);
                }
            }
            return connection;
        } catch (IOException e) {
            throw unreachableOrBroken(e);
        }
    }

    private int status(HttpURLConnection connection) {
        try {
            return connection.getResponseCode();
        } catch (IOException e) {
            throw unreachableOrBroken(e);
        }
    }

    private static String errorBody(HttpURLConnection connection) {
        try (InputStream in = connection.getErrorStream()) {
            return in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    private CliException unreachableOrBroken(IOException e) {
        if (e instanceof ConnectException) {
            return unreachable("connection refused");
        }
        if (e instanceof UnknownHostException) {
            return unreachable("unknown host");
        }
        if (e instanceof SocketTimeoutException && String.valueOf(e.getMessage()).contains("connect")) {
            return unreachable("no connection within " + CONNECT_TIMEOUT.toSeconds() + " s");
        }
        if (e instanceof SocketTimeoutException) {
            return CliException.failed("the gateway at " + settings.server() + " did not answer within "
                    + REQUEST_TIMEOUT.toSeconds() + " s");
        }
        return broken(e);
    }

    private CliException broken(IOException e) {
        return CliException.failed("the connection to the gateway at " + settings.server() + " failed: "
                + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
    }

    private CliException unreachable(String why) {
        return CliException.failed("cannot reach the gateway at " + settings.server() + " (" + why + "). Is it "
                + "running? './gpufleet up' starts the local one; --server or GPUFLEET_SERVER names another.");
    }

    static CliException failure(int status, String body) {
        return new CliException(ExitCodes.forHttpStatus(status), ApiErrors.message(status, body));
    }

    private static JsonNode json(String body) {
        if (body == null || body.isBlank()) {
            return Json.object();
        }
        JsonNode node = Json.parse(body);
        if (node == null) {
            throw CliException.failed("the gateway's answer is not JSON: "
                    + (body.length() > 200 ? body.substring(0, 200) + " ..." : body));
        }
        return node;
    }
}
