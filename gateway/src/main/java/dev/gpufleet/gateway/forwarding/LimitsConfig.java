package dev.gpufleet.gateway.forwarding;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * Limits on what a client may send to the OpenAI routes; env form e.g. {@code GPUFLEET_GATEWAY_LIMITS_MAX_HEADERS}.
 * The body size limit is Quarkus's own {@code quarkus.http.limits.max-body-size}.
 */
@ConfigMapping(prefix = "gpufleet.gateway.limits")
public interface LimitsConfig {

    /** A request with more headers than this is refused with a 431 before its body is read. */
    @WithDefault("100")
    int maxHeaders();
}
