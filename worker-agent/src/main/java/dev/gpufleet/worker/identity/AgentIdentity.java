package dev.gpufleet.worker.identity;

import dev.gpufleet.worker.WorkerConfig;
import dev.gpufleet.worker.host.HostNetwork;
import jakarta.enterprise.context.ApplicationScoped;

import java.nio.file.Path;
import java.time.Clock;

/**
 * The one place that loads (or on first start creates) this agent's identity, so the heartbeat and the instance
 * supervisor cannot race to create two different ids.
 */
@ApplicationScoped
public class AgentIdentity {
    private final WorkerConfig config;
    private WorkerIdentity identity;

    public AgentIdentity(WorkerConfig config) {
        this.config = config;
    }

    public synchronized WorkerIdentity get() {
        if (identity == null) {
            identity = IdentityStore.loadOrCreate(Path.of(config.dataDir()), config.name(), HostNetwork::hostname,
                    Clock.systemUTC());
        }
        return identity;
    }
}
