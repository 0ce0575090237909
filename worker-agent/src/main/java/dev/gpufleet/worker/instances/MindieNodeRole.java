package dev.gpufleet.worker.instances;

import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.worker.backend.BackendLaunch;
import dev.gpufleet.worker.backend.LaunchPlanner;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * MindIE on the NPUs this worker lends ({@link LaunchPlanner#mindieNode}), with the rank table and config files the
 * main worker writes too, started once the main worker's MindIE is STARTING. It serves no request of its own to
 * probe, so it counts as started once it has run {@link SubordinateServers#MIN_UPTIME}.
 */
final class MindieNodeRole implements ServerRole {
    /** Logged as the subordinate servers: this is one of them. */
    private static final Logger LOG = Logger.getLogger(SubordinateServers.class);

    private final SupervisorSettings settings;

    MindieNodeRole(SupervisorSettings settings) {
        this.settings = settings;
    }

    @Override
    public ServerLaunch plan(RpcServerPlan.Key key, InstanceChanged instance) {
        if (instance == null) {
            return new ServerLaunch.Gone();
        }
        BackendLaunch launch = LaunchPlanner.mindieNode(instance, settings.workerId(),
                BackendHosts.of(settings, OptionalInt::empty, null));
        if (!launch.ready()) {
            return new ServerLaunch.Cannot(key.describe() + " on subordinate worker " + settings.workerId()
                    + " cannot start: " + launch.problem());
        }
        try {
            BackendHosts.prepare(launch);
        } catch (IOException | RuntimeException e) {
            return new ServerLaunch.Cannot(key.describe() + " cannot start: cannot write " + launch.files().keySet()
                    + ": " + e.getMessage());
        }
        if (!launch.warnings().isEmpty()) {
            LOG.warnf("%s: %s", key.describe(), String.join("; ", launch.warnings()));
        }
        return new ServerLaunch.Spawn(launch.port(), null, launch.command(), launch.environment(), Optional.empty());
    }

    /** Its port is in its config file, which the leftover still reads. */
    @Override
    public boolean fits(RpcServerPlan.Key key, int port) {
        return true;
    }

    @Override
    public int quickExitsToFail() {
        return 1;
    }
}
