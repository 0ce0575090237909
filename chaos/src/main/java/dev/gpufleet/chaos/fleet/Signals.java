package dev.gpufleet.chaos.fleet;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

/**
 * POSIX signals by name through the shell's kill (a builtin of every sh, where a minimal system may lack procps'
 * kill(1)): the JDK sends only TERM and KILL itself.
 */
public final class Signals {
    private Signals() {
    }

    /** @return whether kill(1) succeeded (false when the process is gone) */
    public static boolean send(String signal, long pid) {
        try {
            if (!signal.matches("[A-Z0-9]+")) {
                throw new IllegalArgumentException("not a signal name: " + signal);
            }
            Process p = new ProcessBuilder("sh", "-c", "kill -s " + signal + " " + pid)
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return false;
            }
            return p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
