package dev.gpufleet.worker;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.Optional;

/** The agent's settings; each has an environment form, e.g. {@code GPUFLEET_WORKER_DATA_DIR}. */
@ConfigMapping(prefix = "gpufleet.worker")
public interface WorkerConfig {

    /** Where identity.json and the heartbeat revision live. */
    String dataDir();

    /** Overrides the stored name (the hostname on first start). */
    Optional<String> name();

    /** {@code key=value,key=value}, added to the built-in labels os, arch and worker-name. */
    Optional<String> labels();

    /** Where this host's backends are reachable; unset = first non-loopback IPv4, else 127.0.0.1. */
    Optional<String> address();

    @WithDefault("5s")
    Duration heartbeatInterval();

    /** Stand-in for GPU detection: see {@link dev.gpufleet.worker.devices.SimulatedDevices}. */
    Optional<String> simulatedDevices();
}
