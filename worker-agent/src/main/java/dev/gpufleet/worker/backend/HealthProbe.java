package dev.gpufleet.worker.backend;

import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * {@code GET /health} of a backend. Every probe has a short timeout: a hung engine accepts the connection and
 * never answers, and that must count as a failure, not block the next probe.
 */
public final class HealthProbe {
    private final HttpClient client;
    private final Duration timeout;

    /** @param healthy whether the backend answered 200; {@code detail} says what happened otherwise */
    public record Result(boolean healthy, String detail) {
    }

    public HealthProbe(Duration timeout) {
        this.timeout = timeout;
        this.client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(timeout).build();
    }

    /** The address to probe a backend at: a wildcard listen address is reached through loopback. */
    public static String probeHost(String backendHost) {
        if (backendHost == null || backendHost.isBlank() || backendHost.equals("0.0.0.0")
                || backendHost.equals("::") || backendHost.equals("[::]")) {
            return "127.0.0.1";
        }
        return backendHost.contains(":") && !backendHost.startsWith("[") ? "[" + backendHost + "]" : backendHost;
    }

    public CompletableFuture<Result> probe(String host, int port) {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://" + host + ":" + port + "/health"))
                .timeout(timeout).GET().build();
        return client.sendAsync(request, HttpResponse.BodyHandlers.discarding())
                .handle((response, failure) -> {
                    if (failure == null) {
                        return response.statusCode() == 200 ? new Result(true, "HTTP 200")
                                : new Result(false, "HTTP " + response.statusCode());
                    }
                    return new Result(false, describe(failure));
                });
    }

    private String describe(Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        if (cause instanceof HttpTimeoutException) {
            return "no answer within " + timeout.toMillis() + " ms";
        }
        if (cause instanceof ConnectException) {
            return "connection refused";
        }
        return cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage());
    }
}
