package dev.gpufleet.worker.instances;

import dev.gpufleet.worker.backend.BackendCommand;

import java.util.Map;
import java.util.Optional;

/** How a subordinate's helper process is started now, or why it is not: what a {@link ServerRole} plans. */
sealed interface ServerLaunch {

    /** It cannot start; the message is the ERROR reported. */
    record Cannot(String message) implements ServerLaunch {
    }

    /** Its instance was deleted meanwhile: nothing starts, the next reconcile forgets it. */
    record Gone() implements ServerLaunch {
    }

    /**
     * @param readyHost where its port is checked once it runs; null: it serves nothing to check and counts as
     *                  started once it has run {@link SubordinateServers#MIN_UPTIME}
     * @param awaits    a process on the main worker to accept connections before it starts (the Ray head)
     */
    record Spawn(int port, String readyHost, BackendCommand command, Map<String, String> environment,
                 Optional<Awaited> awaits) implements ServerLaunch {
    }

    /** @param description what it is, for messages ("the Ray head at 10.0.0.1:6379") */
    record Awaited(String host, int port, String description) {
    }
}
