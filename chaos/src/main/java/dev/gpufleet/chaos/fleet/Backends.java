package dev.gpufleet.chaos.fleet;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Finds the backend processes of a run on this machine, from /proc (every namespace shares the process table). */
public final class Backends {
    /** On the command line of every backend the suite's llama-box starts; its value is the run's directory. */
    public static final String MARKER = "-Dgpufleet.chaos.backend=";

    private Backends() {
    }

    public static List<BackendProcess> scan(String runDirectory) {
        String marker = MARKER + runDirectory;
        List<BackendProcess> found = new ArrayList<>();
        for (long pid : Leftovers.pids()) {
            List<String> args = Leftovers.arguments(pid);
            if (!args.contains(marker)) {
                continue;
            }
            Optional<Instant> started = ProcessHandle.of(pid).flatMap(h -> h.info().startInstant());
            if (started.isEmpty()) {
                continue;
            }
            found.add(new BackendProcess(pid, started.get(), value(args, "--host") + ":" + value(args, "--port"),
                    value(args, "--alias")));
        }
        return found;
    }

    static String value(List<String> args, String flag) {
        int i = args.indexOf(flag);
        return i >= 0 && i + 1 < args.size() ? args.get(i + 1) : "?";
    }
}
