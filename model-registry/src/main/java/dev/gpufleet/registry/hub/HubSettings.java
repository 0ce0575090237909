package dev.gpufleet.registry.hub;

import java.net.URI;
import java.time.Duration;
import java.util.Optional;

/**
 * How to reach one hub. {@code tokenSetting} is the name of the setting that holds the token, for messages that
 * tell the user what to set. {@link #toString()} never shows the token.
 */
public record HubSettings(URI endpoint, Optional<String> token, String tokenSetting, Duration connectTimeout,
        Duration requestTimeout) {

    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** GPUStack gives repository listings 15 s; a header Range read is smaller still. */
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(15);

    public HubSettings {
        String base = endpoint.toString();
        if (base.endsWith("/")) {
            endpoint = URI.create(base.substring(0, base.length() - 1));
        }
        token = token == null ? Optional.empty() : token.filter(t -> !t.isBlank());
    }

    public static HubSettings of(String endpoint, Optional<String> token, String tokenSetting) {
        return new HubSettings(URI.create(endpoint), token, tokenSetting, DEFAULT_CONNECT_TIMEOUT,
                DEFAULT_REQUEST_TIMEOUT);
    }

    @Override
    public String toString() {
        return "HubSettings[endpoint=" + endpoint + ", token=" + (token.isPresent() ? "(set)" : "(none)")
                + ", connectTimeout=" + connectTimeout + ", requestTimeout=" + requestTimeout + "]";
    }
}
