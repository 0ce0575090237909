package dev.gpufleet.gateway.forwarding;

import dev.gpufleet.events.Endpoints;

import java.util.Optional;

/** An instance's {@code host:port} endpoint as the scheduler publishes it; IPv6 hosts come in brackets. */
public record BackendEndpoint(String host, int port) {

    public static Optional<BackendEndpoint> parse(String endpoint) {
        if (endpoint == null) {
            return Optional.empty();
        }
        String text = endpoint.trim();
        int colon = text.lastIndexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            return Optional.empty();
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.contains(":")) {
            return Optional.empty();
        }
        if (host.isEmpty() || host.contains("/")) {
            return Optional.empty();
        }
        try {
            int port = Integer.parseInt(text.substring(colon + 1));
            return port >= 1 && port <= 65535 ? Optional.of(new BackendEndpoint(host, port)) : Optional.empty();
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** {@code host:port} as an HTTP Host header carries it: the inverse of {@link #parse}, an IPv6 host in brackets. */
    public String authority() {
        return Endpoints.hostPort(host, port);
    }
}
