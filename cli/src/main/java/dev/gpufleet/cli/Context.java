package dev.gpufleet.cli;

import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;

/**
 * What a run of the CLI sees of its surroundings, so that tests run it in-process with their own environment and
 * capture what it prints.
 *
 * @param env      the environment variables
 * @param home     the gpufleet checkout the launcher script runs from (where {@code .gpufleet/} of the local stack is)
 * @param cwd      the working directory, against which relative paths on the command line are resolved
 * @param userHome where {@code ~/.config/gpufleet/config} is
 * @param stdinIsTerminal whether standard input is a terminal (then {@code chat} without a prompt says how to end it)
 */
public record Context(Map<String, String> env, Path home, Path cwd, Path userHome, InputStream in, PrintStream out,
                      PrintStream err, boolean stdinIsTerminal) {

    public static Context system() {
        Path cwd = Path.of("").toAbsolutePath();
        String home = System.getProperty("gpufleet.home");
        return new Context(System.getenv(), home == null ? cwd : Path.of(home).toAbsolutePath(), cwd,
                Path.of(System.getProperty("user.home")), System.in, System.out, System.err,
                System.console() != null);
    }
}
