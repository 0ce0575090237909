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
     */
    record BackendTarget(String endpointText, Optional<BackendEndpoint> endpoint, byte[] fixedHeaders) {
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
        if (endpoint.isPresent()) {
            try {
                fixedHeaders = BackendRequestHead.fixedHeaders(endpoint.get().authority(),
                        "Bearer " + backendKeys.keyFor(instance.instanceId()));
            } catch (IllegalArgumentException unusable) {
                endpoint = Optional.empty();
            }
        }
        BackendTarget made = new BackendTarget(instance.endpoint(), endpoint, fixedHeaders);
        if (targets.size() >= MAX_TARGETS) {
            targets.clear();
        }
        targets.put(instance.instanceId(), made);
        return made;
    }
}
