package dev.gpufleet.chaos.fleet;

import java.time.Instant;

/**
 * One backend process the agents started (stand-in or llama.cpp), found by the marker the suite's llama-box
 * puts on its command line. {@code pid} and {@code started} together name the process: a restarted backend has a
 * new pair even where the pid comes round again.
 *
 * @param endpoint {@code host:port} from its {@code --host} and {@code --port}: what the scheduler lists as the
 *                 instance's endpoint
 */
public record BackendProcess(long pid, Instant started, String endpoint, String alias) {
    public String identity() {
        return pid + "@" + started.toEpochMilli();
    }
}
