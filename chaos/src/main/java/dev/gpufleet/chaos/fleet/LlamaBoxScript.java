package dev.gpufleet.chaos.fleet;

import dev.gpufleet.chaos.standin.StandInBackend;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The agents' llama-box for the suite ({@code gpufleet.worker.llama-box.command}): a model whose {@code env} sets
 * {@value #BACKEND_ENV}={@value #STAND_IN} runs the {@link StandInBackend}, any other the real llama.cpp server
 * (llamacpp-server, what the agent falls back to without llama-box). Both get the agent's command line unchanged,
 * and a marker on theirs so the suite finds them ({@link Backends}) and a later run can remove them.
 */
public final class LlamaBoxScript {
    public static final String BACKEND_ENV = "GPUFLEET_CHAOS_BACKEND";
    public static final String STAND_IN = "stand-in";

    private LlamaBoxScript() {
    }

    public static Path write(Path binDir, String java, String runDirectory, Path llamacppServerJar) {
        String marker = quote(Backends.MARKER + runDirectory);
        String script = "#!/bin/sh\n"
                + "# llama-box of the chaos fleet: the stand-in for models whose env asks for it, else real llama.cpp\n"
                + "if [ \"${" + BACKEND_ENV + ":-}\" = \"" + STAND_IN + "\" ]; then\n"
                + "  exec " + quote(java) + " -Xmx24m -Xss256k -XX:+UseSerialGC -XX:TieredStopAtLevel=1"
                + " -XX:CICompilerCount=1 " + marker + " -cp " + quote(codeLocation()) + " "
                + StandInBackend.class.getName() + " \"$@\"\n"
                + "fi\n"
                + "exec " + quote(java) + " " + marker + " -jar " + quote(llamacppServerJar.toString()) + " \"$@\"\n";
        try {
            Files.createDirectories(binDir);
            Path file = binDir.resolve("llama-box");
            Files.writeString(file, script);
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + binDir.resolve("llama-box"), e);
        }
    }

    /** The directory or jar this suite's classes come from: all the stand-in needs besides the JDK. */
    static String codeLocation() {
        try {
            return Path.of(StandInBackend.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String quote(String s) {
        return "'" + s.replace("'", "'\"'\"'") + "'";
    }
}
