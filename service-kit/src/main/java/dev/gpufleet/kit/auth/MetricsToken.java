package dev.gpufleet.kit.auth;

import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.util.Optional;

/**
 * The metrics token ({@code gpufleet.metrics-token}, env {@code GPUFLEET_METRICS_TOKEN}): the scrape credential,
 * accepted only on each service's management interface (its own port, {@code quarkus.management.port}), which serves
 * nothing but {@code /q/metrics}. Prometheus holding it can read metrics and nothing else. During a rotation
 * {@code gpufleet.metrics-token-previous} is accepted too. Never logged.
 */
@Singleton
public final class MetricsToken {
    public static final String PROPERTY = "gpufleet.metrics-token";
    public static final String ENV = "GPUFLEET_METRICS_TOKEN";

    private final RotatingSecret secret;

    @Inject
    public MetricsToken(@ConfigProperty(name = PROPERTY) String value,
                        @ConfigProperty(name = "gpufleet.metrics-token-previous") Optional<String> previous) {
        this.secret = new RotatingSecret(PROPERTY, ENV, value, previous);
    }

    /** Whether an {@code Authorization} header carries the current or, during a rotation, the previous token. */
    public boolean matchesBearer(String authorization) {
        return authorization != null && authorization.startsWith("Bearer ")
                && secret.matches(authorization.substring("Bearer ".length()));
    }

    @Override
    public String toString() {
        return "MetricsToken[hidden]";
    }
}
