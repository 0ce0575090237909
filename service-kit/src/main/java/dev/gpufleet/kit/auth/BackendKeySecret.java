package dev.gpufleet.kit.auth;

import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.util.Optional;

/**
 * The backend-key secret ({@code gpufleet.backend-key-secret}, env {@code GPUFLEET_BACKEND_KEY_SECRET}): what each
 * backend instance's API key is derived from ({@link InstanceApiKeys}), by the worker agent that starts the backend
 * and by the gateway that calls it. It is distinct from the service token, so a backend's key (in its environment)
 * gives no access to any service, and knowing the service
 * token does not open the backends. Only the gateway and the agents hold it. Never logged.
 *
 * <p>During a rotation {@code gpufleet.backend-key-secret-previous} is the secret before: backends started before the
 * rotation hold the key derived from it, so the gateway falls back to that key when a backend refuses the current one,
 * and the agent's authenticating proxy accepts both.
 */
@Singleton
public final class BackendKeySecret {
    public static final String PROPERTY = "gpufleet.backend-key-secret";
    public static final String ENV = "GPUFLEET_BACKEND_KEY_SECRET";

    private final RotatingSecret secret;

    @Inject
    public BackendKeySecret(@ConfigProperty(name = PROPERTY) String value,
                            @ConfigProperty(name = "gpufleet.backend-key-secret-previous") Optional<String> previous) {
        this.secret = new RotatingSecret(PROPERTY, ENV, value, previous);
    }

    public BackendKeySecret(String value) {
        this(value, Optional.empty());
    }

    /** The key derived from the previous secret, during a rotation; empty otherwise. */
    public Optional<String> previousKeyFor(String instanceId) {
        return secret.previous().map(previous -> InstanceApiKeys.forInstance(previous, instanceId));
    }

    /** The previous secret itself, during a rotation (the agent's authenticating proxy accepts its keys too). */
    public Optional<String> previousValue() {
        return secret.previous();
    }

    /** The API key the instance's backend is started with and called with. */
    public String keyFor(String instanceId) {
        return InstanceApiKeys.forInstance(secret.current(), instanceId);
    }

    /** The secret itself, for code that derives the keys later (the agent's launch planning). */
    public String value() {
        return secret.current();
    }

    @Override
    public String toString() {
        return "BackendKeySecret[hidden]";
    }
}
