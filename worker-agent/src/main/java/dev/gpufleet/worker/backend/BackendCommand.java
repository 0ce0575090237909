package dev.gpufleet.worker.backend;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A backend's command line and what the agent changed in the user's parameters to build it.
 *
 * @param warnings one line per user parameter the agent ignored, for the instance's observation message
 */
public record BackendCommand(List<String> args, List<String> warnings) {
    private static final Set<String> SECRET_FLAGS = Set.of("--api-key");

    public BackendCommand {
        args = List.copyOf(args);
        warnings = List.copyOf(warnings);
    }

    /** The command line for logs: values of secret flags masked. */
    public String redacted() {
        List<String> shown = new ArrayList<>(args.size());
        boolean maskNext = false;
        for (String arg : args) {
            if (maskNext) {
                shown.add("***");
                maskNext = false;
            } else if (SECRET_FLAGS.stream().anyMatch(f -> arg.startsWith(f + "="))) {
                shown.add(arg.substring(0, arg.indexOf('=') + 1) + "***");
            } else {
                shown.add(arg);
                maskNext = SECRET_FLAGS.contains(arg);
            }
        }
        return String.join(" ", shown);
    }
}
