package dev.gpufleet.kit.auth;

import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The backend-key secret ({@code gpufleet.backend-key-secret}, env {@code GPUFLEET_BACKEND_KEY_SECRET}): what each
 * backend instance's API key is derived from ({@link InstanceApiKeys}), by the worker agent that starts the backend
 * and by the gateway that calls it. It is distinct from the service token, so a backend's key (on its command line,
 * readable by anyone on the host who can list processes) gives no access to any service, and knowing the service
 * token does not open the backends. Only the gateway and the agents hold it. Never logged.
 */
@Singleton
public final class BackendKeySecret {
    public static final String PROPERTY = "gpufleet.backend-key-secret";
    public static final String ENV = "GPUFLEET_BACKEND_KEY_SECRET";

    private final String value;

    public BackendKeySecret(@ConfigProperty(name = PROPERTY) String value) {
        this.value = SecretSetting.require(PROPERTY, ENV, value);
    }

    /** The API key the instance's backend is started with and called with. */
    public String keyFor(String instanceId) {
        return InstanceApiKeys.forInstance(value, instanceId);
    }

    /** The secret itself, for code that derives the keys later (the agent's launch planning). */
    public String value() {
        return value;
    }

    @Override
    public String toString() {
        return "BackendKeySecret[hidden]";
    }
}
