package dev.gpufleet.worker.processes;

import java.util.Optional;

/**
 * A backend recorded in {@code <data-dir>/backends/<instance-id>.pid} by an earlier run of this agent. The file holds
 * one line, {@code pid startMillis port restartCount logOffset instanceId}, {@code port} written
 * {@code port/backendPort} for a backend behind the agent's authenticating proxy; files written before adoption existed
 * hold only {@code pid startMillis} and their process can only be stopped.
 *
 * @param startMillis the process' start time, so that a pid reused by another process is not taken for it
 * @param port        -1 when the file does not say (such a backend cannot be adopted)
 * @param logOffset   where this run of the backend started writing in its log file
 * @param backendPort the loopback port of a backend behind the agent's authenticating proxy (which serves
 *                    {@code port}); 0 for a backend that listens on {@code port} itself
 */
public record Leftover(long pid, long startMillis, int port, int restartCount, long logOffset, String instanceId,
                       int backendPort) {

    public Leftover(long pid, long startMillis, int port, int restartCount, long logOffset, String instanceId) {
        this(pid, startMillis, port, restartCount, logOffset, instanceId, 0);
    }

    public boolean adoptable() {
        return port > 0 && instanceId != null;
    }

    public String line() {
        return pid + " " + startMillis + " " + port + (backendPort > 0 ? "/" + backendPort : "") + " " + restartCount
                + " " + logOffset + " " + instanceId + "\n";
    }

    /** @return empty when the text is not a pid file's (it is then removed, never acted on) */
    public static Optional<Leftover> parse(String text) {
        String[] parts = text.trim().split("\\s+", 6);
        try {
            long pid = Long.parseLong(parts[0]);
            long started = Long.parseLong(parts[1]);
            if (pid <= 0) {
                return Optional.empty();
            }
            if (parts.length < 6) {
                return Optional.of(new Leftover(pid, started, -1, 0, 0, null));
            }
            String[] ports = parts[2].split("/", 2);
            return Optional.of(new Leftover(pid, started, Integer.parseInt(ports[0]), Integer.parseInt(parts[3]),
                    Long.parseLong(parts[4]), parts[5], ports.length > 1 ? Integer.parseInt(ports[1]) : 0));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    /** The recorded process if it still runs: same pid and same start time. */
    public Optional<ProcessHandle> process() {
        return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).filter(p -> p.info().startInstant()
                .map(instant -> instant.toEpochMilli() == startMillis).orElse(false));
    }
}
