package dev.gpufleet.worker.instances;

import dev.gpufleet.events.InstanceObserved;
import dev.gpufleet.events.InstanceState;
import org.awaitility.Awaitility;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** What the supervisor tests with real stand-in processes ask of them: ports, recorded environments, observations. */
final class StandInChecks {
    private StandInChecks() {
    }

    static boolean listening(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 300);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** A stand-in's recorded environment: its {@code NAME=value} lines. */
    static Map<String, String> env(Path file) throws IOException {
        Map<String, String> env = new TreeMap<>();
        for (String line : Files.readAllLines(file)) {
            int eq = line.indexOf('=');
            env.put(line.substring(0, eq), line.substring(eq + 1));
        }
        return env;
    }

    /** The first observation of this state and restart count, waiting up to 40 s for it. */
    static InstanceObserved await(List<InstanceObserved> sink, InstanceState state, int restartCount) {
        return Awaitility.await().atMost(Duration.ofSeconds(40)).until(() -> sink.stream()
                .filter(o -> o.state() == state && o.restartCount() == restartCount).findFirst().orElse(null),
                o -> o != null);
    }
}
