package dev.gpufleet.worker.instances;

import dev.gpufleet.worker.backend.BackendLaunch;
import dev.gpufleet.worker.processes.Leftover;
import dev.gpufleet.worker.processes.StepThread;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;

/**
 * The process side of a {@link BackendLaunch.Prelude} and of the subordinate's helper processes: start with the
 * output appended to a log, check that a port accepts connections, record the pid for the next run of the agent.
 */
final class Preludes {
    private static final Logger LOG = Logger.getLogger(Preludes.class);
    /** Connecting to a closed port on a live host is refused at once; this bounds only an unreachable host. */
    private static final int CONNECT_TIMEOUT_MS = 200;

    private Preludes() {
    }

    static Process start(BackendLaunch.Prelude prelude, Path logFile, Clock clock) throws IOException {
        Files.writeString(logFile, "=== " + clock.instant() + " gpufleet: starting " + prelude.name() + ": "
                + prelude.command().redacted() + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
        ProcessBuilder builder = new ProcessBuilder(prelude.command().args()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
        builder.environment().putAll(prelude.environment());
        Process process = builder.start();
        process.getOutputStream().close();
        return process;
    }

    static boolean accepts(String host, int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), CONNECT_TIMEOUT_MS);
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    static void writePidFile(Path file, Leftover leftover) {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, leftover.line());
        } catch (IOException e) {
            LOG.warnf("Cannot record pid %d in %s (a crash of the agent would leave it running): %s",
                    leftover.pid(), file, e.toString());
        }
    }
}
