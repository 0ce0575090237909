package dev.gpufleet.worker.backend;

import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The program of each backend but llama-box (see {@link BinaryChoice}): the configured
 * {@code gpufleet.worker.<backend>.command}, else the binary on the search path, else a well-known install
 * location. Nothing found gives the instance's ERROR message: what to install or set.
 */
public final class BackendBinaries {
    /** Where MindIE's installer puts the daemon. */
    public static final String MINDIE_DAEMON = "/usr/local/Ascend/mindie/latest/mindie-service/bin/"
            + "mindieservice_daemon";

    private BackendBinaries() {
    }

    record Known(String setting, String binary, List<String> locations, String install) {
    }

    static Known known(String backend) {
        return switch (backend) {
            case LaunchPlanner.VLLM -> new Known("vllm", "vllm", List.of(), "install vLLM (pip install vllm)");
            case LaunchPlanner.VOX_BOX -> new Known("vox-box", "vox-box", List.of(),
                    "install vox-box (pip install vox-box)");
            case LaunchPlanner.MINDIE -> new Known("mindie", "mindieservice_daemon", List.of(MINDIE_DAEMON),
                    "install Ascend MindIE 2.0 (its mindie-service package)");
            case "ray" -> new Known("ray", "ray", List.of(), "install Ray (pip install 'ray[default]')");
            default -> throw new IllegalArgumentException("unknown backend " + backend);
        };
    }

    /**
     * @param configured the value of {@code gpufleet.worker.<backend>.command}, if set
     */
    public static BinaryChoice choose(String backend, Optional<String> configured,
                                      Function<String, Optional<String>> executableOnPath,
                                      Predicate<String> executableFile) {
        Known known = known(backend);
        String setting = "gpufleet.worker." + known.setting() + ".command";
        Optional<String> command = configured.filter(c -> !c.isBlank());
        if (command.isPresent()) {
            try {
                List<String> words = CommandWords.split(command.get());
                if (!words.isEmpty()) {
                    return new BinaryChoice(words, null);
                }
            } catch (IllegalArgumentException e) {
                return new BinaryChoice(List.of(), setting + " cannot be read: " + e.getMessage());
            }
        }
        Optional<String> onPath = executableOnPath.apply(known.binary());
        if (onPath.isPresent()) {
            return new BinaryChoice(List.of(onPath.get()), null);
        }
        for (String location : known.locations()) {
            if (executableFile.test(location)) {
                return new BinaryChoice(List.of(location), null);
            }
        }
        String env = "GPUFLEET_WORKER_" + known.setting().toUpperCase(java.util.Locale.ROOT).replace('-', '_')
                + "_COMMAND";
        return new BinaryChoice(List.of(), "no " + backend + " backend on this worker: " + known.binary()
                + " is not on the search path" + (known.locations().isEmpty() ? ""
                : " nor at " + String.join(", ", known.locations())) + ". To fix: " + known.install()
                + ", or set " + setting + " (" + env + ") to the command that runs it.");
    }
}
