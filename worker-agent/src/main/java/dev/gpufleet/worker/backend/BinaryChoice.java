package dev.gpufleet.worker.backend;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Which program serves a GGUF model, in this order: the configured {@code gpufleet.worker.llama-box.command};
 * {@code llama-box} on the search path; llama.cpp's {@code llama-server}; {@code llamacpp-server}; the configured
 * llamacpp-server jar run with the agent's own java. A pure function over what exists, so each branch is tested
 * without installing anything.
 *
 * @param command the words that start the server, before its arguments; empty when {@code problem} is set
 * @param problem what to install or configure when nothing fits
 */
public record BinaryChoice(List<String> command, String problem) {
    public static final List<String> BINARIES_IN_ORDER = List.of("llama-box", "llama-server", "llamacpp-server");

    public BinaryChoice {
        command = List.copyOf(command);
    }

    public boolean found() {
        return problem == null;
    }

    /** What exists on this host, as seen by the agent. */
    public record Host(Optional<String> configuredCommand, Function<String, Optional<String>> executableOnPath,
                       Optional<String> llamacppServerJar, Predicate<String> fileExists,
                       Optional<String> agentJava) {
    }

    public static BinaryChoice choose(Host host) {
        Optional<String> configured = host.configuredCommand().filter(c -> !c.isBlank());
        if (configured.isPresent()) {
            try {
                List<String> words = CommandWords.split(configured.get());
                if (!words.isEmpty()) {
                    return new BinaryChoice(words, null);
                }
            } catch (IllegalArgumentException e) {
                return failed("gpufleet.worker.llama-box.command cannot be read: " + e.getMessage());
            }
        }
        for (String binary : BINARIES_IN_ORDER) {
            Optional<String> found = host.executableOnPath().apply(binary);
            if (found.isPresent()) {
                return new BinaryChoice(List.of(found.get()), null);
            }
        }
        Optional<String> jar = host.llamacppServerJar().filter(j -> !j.isBlank());
        if (jar.isPresent() && host.fileExists().test(jar.get())) {
            Optional<String> java = host.agentJava().or(() -> host.executableOnPath().apply("java"));
            if (java.isPresent()) {
                return new BinaryChoice(List.of(java.get(), "-jar", jar.get()), null);
            }
            return failed("no java found to run " + jar.get() + ": put java on the PATH");
        }
        List<String> hints = new ArrayList<>();
        hints.add("install llama-box (or llama.cpp's llama-server) on the PATH");
        hints.add("set gpufleet.worker.llama-box.command (GPUFLEET_WORKER_LLAMA_BOX_COMMAND) to the command that "
                + "runs it");
        hints.add("or set gpufleet.worker.llamacpp-server-jar (GPUFLEET_WORKER_LLAMACPP_SERVER_JAR) to "
                + "llamacpp-server.jar (build it with ./mvnw -pl llamacpp-server package)");
        String jarNote = jar.map(j -> "; gpufleet.worker.llamacpp-server-jar is " + j + ", which does not exist")
                .orElse("");
        return failed("no llama-box backend on this worker: none of " + String.join(", ", BINARIES_IN_ORDER)
                + " is on the search path" + jarNote + ". To fix: " + String.join(", ", hints) + ".");
    }

    private static BinaryChoice failed(String problem) {
        return new BinaryChoice(List.of(), problem);
    }
}
