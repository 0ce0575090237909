package dev.gpufleet.gateway.forwarding;

import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.kit.auth.BackendKeySecret;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where a request to an instance goes: the instance's backend endpoint, the header lines every request to it
 * carries, and the path the backend is called on.
 */
final class BackendTargets {
    /** Aliases: the path the backend is called on when it differs from the client's. */
    private static final Map<String, String> BACKEND_PATHS = Map.of("/v1/reranking", "/v1/rerank");
    private static final int MAX_TARGETS = 10_000;

    private final BackendKeySecret backendKeys;
    /** By instance id; started over past {@link #MAX_TARGETS}, since an entry outlives its instance. */
    private final Map<String, BackendTarget> targets = new ConcurrentHashMap<>();

    BackendTargets(BackendKeySecret backendKeys) {
        this.backendKeys = backendKeys;
    }

    /**
     * Where an instance's backend listens and the header lines every request to it carries: its Host, and the
     * Authorization it expects (its own key, derived from the backend-key secret; never logged). Worked out once per
     * instance and endpoint rather than on every request; {@code fixedHeaders} is null when the endpoint is unusable.
     *
     * <p>During a rotation of the backend-key secret a backend started before it holds the key derived from the
     * previous secret: the target then has a second set of lines ({@link #otherThan}), and remembers which of the
     * two the backend last accepted ({@link #accepted}), so only the first request after a change pays a retry.
     */
    static final class BackendTarget {
        private final String endpointText;
        private final Optional<BackendEndpoint> endpoint;
        private final byte[] current;
        /** With the previous secret's key; null outside a rotation. */
        private final byte[] previous;
        private volatile boolean previousAccepted;

        BackendTarget(String endpointText, Optional<BackendEndpoint> endpoint, byte[] current, byte[] previous) {
            this.endpointText = endpointText;
            this.endpoint = endpoint;
            this.current = current;
            this.previous = previous;
        }

        String endpointText() {
            return endpointText;
        }

        Optional<BackendEndpoint> endpoint() {
            return endpoint;
        }

        /** The lines to send: the current secret's key, unless the backend last accepted only the previous one. */
        byte[] fixedHeaders() {
            return previousAccepted && previous != null ? previous : current;
        }

        /** The lines with the other key, to try once after the backend refused {@code refused} (401); or null. */
        byte[] otherThan(byte[] refused) {
            if (previous == null || current == null) {
                return null;
            }
            return refused == current ? previous : current;
        }

        /** The backend answered {@code sent} with something other than 401: send those from now on. */
        void accepted(byte[] sent) {
            boolean isPrevious = sent == previous && previous != null;
            if (previousAccepted != isPrevious) {
                previousAccepted = isPrevious;
            }
        }
    }

    /** The path on the backend for the client's {@code path}. */
    static String backendPath(String path) {
        return BACKEND_PATHS.getOrDefault(path, path);
    }

    BackendTarget target(InstanceChanged instance) {
        BackendTarget known = targets.get(instance.instanceId());
        if (known != null && known.endpointText().equals(instance.endpoint())) {
            return known;
        }
        Optional<BackendEndpoint> endpoint = BackendEndpoint.parse(instance.endpoint());
        byte[] fixedHeaders = null;
        byte[] previousHeaders = null;
        if (endpoint.isPresent()) {
            try {
                fixedHeaders = BackendRequestHead.fixedHeaders(endpoint.get().authority(),
                        "Bearer " + backendKeys.keyFor(instance.instanceId()));
                Optional<String> previousKey = backendKeys.previousKeyFor(instance.instanceId());
                if (previousKey.isPresent()) {
                    previousHeaders = BackendRequestHead.fixedHeaders(endpoint.get().authority(),
                            "Bearer " + previousKey.get());
                }
            } catch (IllegalArgumentException unusable) {
                endpoint = Optional.empty();
                fixedHeaders = null;
                previousHeaders = null;
            }
        }
        BackendTarget made = new BackendTarget(instance.endpoint(), endpoint, fixedHeaders, previousHeaders);
        if (targets.size() >= MAX_TARGETS) {
            targets.clear();
        }
        targets.put(instance.instanceId(), made);
        return made;
    }
}
