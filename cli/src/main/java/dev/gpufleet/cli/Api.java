package dev.gpufleet.cli;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The gateway's public API over the JDK's HTTP client: JSON in and out, every error turned into a
 * {@link CliException} with the server's message and the exit code its status means.
 */
public final class Api {
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);
    /** The API's largest page: lists are read whole, in as few requests as it allows. */
    static final int PAGE_SIZE = 500;

    private final Settings settings;
    private final String noKeyHelp;
    private final HttpClient client;

    /** @param noKeyHelp the error when a request is to be made and there is no key */
    public Api(Settings settings, String noKeyHelp) {
        this.settings = settings;
        this.noKeyHelp = noKeyHelp;
        this.client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(CONNECT_TIMEOUT)
                .build();
    }

    public String server() {
        return settings.server();
    }

    public JsonNode get(String path) {
        return json(send(request(path).GET(), REQUEST_TIMEOUT));
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
        return json(send(request(path).POST(body(body)).header("Content-Type", "application/json"),
                REQUEST_TIMEOUT));
    }

    public JsonNode put(String path, JsonNode body) {
        return json(send(request(path).PUT(body(body)).header("Content-Type", "application/json"),
                REQUEST_TIMEOUT));
    }

    public void delete(String path) {
        send(request(path).DELETE(), REQUEST_TIMEOUT);
    }

    /**
     * A request whose answer is read as it arrives (a log followed, a streamed chat): no overall timeout. The
     * caller closes the stream.
     */
    public InputStream stream(String method, String path, JsonNode body) {
        HttpRequest.Builder builder = request(path);
        if (body == null) {
            builder.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            builder.method(method, body(body)).header("Content-Type", "application/json");
        }
        HttpResponse<InputStream> response = exchange(builder.build(), HttpResponse.BodyHandlers.ofInputStream());
        if (response.statusCode() / 100 != 2) {
            String text;
            try (InputStream in = response.body()) {
                text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                text = "";
            }
            throw failure(response.statusCode(), text);
        }
        return response.body();
    }

    public static String encode(String pathSegmentOrQueryValue) {
        return URLEncoder.encode(pathSegmentOrQueryValue, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private HttpRequest.Builder request(String path) {
        if (settings.apiKey() == null) {
            throw new CliException(ExitCodes.UNAUTHORIZED, noKeyHelp);
        }
        return HttpRequest.newBuilder(URI.create(settings.server() + path))
                .header("Authorization", "Bearer " + settings.apiKey())
                .header("Accept", "application/json");
    }

    private String send(HttpRequest.Builder builder, Duration timeout) {
        HttpResponse<String> response = exchange(builder.timeout(timeout).build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        if (response.statusCode() / 100 != 2) {
            throw failure(response.statusCode(), response.body());
        }
        return response.body();
    }

    private <T> HttpResponse<T> exchange(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
        try {
            return client.send(request, handler);
        } catch (HttpConnectTimeoutException e) {
            throw unreachable("no connection within " + CONNECT_TIMEOUT.toSeconds() + " s");
        } catch (HttpTimeoutException e) {
            throw CliException.failed("the gateway at " + settings.server() + " did not answer within "
                    + REQUEST_TIMEOUT.toSeconds() + " s");
        } catch (ConnectException e) {
            throw unreachable("connection refused");
        } catch (IOException e) {
            if (e.getCause() instanceof UnresolvedAddressException) {
                throw unreachable("unknown host");
            }
            throw CliException.failed("the connection to the gateway at " + settings.server() + " failed: "
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw CliException.failed("interrupted");
        }
    }

    private CliException unreachable(String why) {
        return CliException.failed("cannot reach the gateway at " + settings.server() + " (" + why + "). Is it "
                + "running? './gpufleet up' starts the local one; --server or GPUFLEET_SERVER names another.");
    }

    static CliException failure(int status, String body) {
        return new CliException(ExitCodes.forHttpStatus(status), ApiErrors.message(status, body));
    }

    private static HttpRequest.BodyPublisher body(JsonNode body) {
        return HttpRequest.BodyPublishers.ofString(Json.compact(body), StandardCharsets.UTF_8);
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
