package dev.gpufleet.chaos.fleet;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

/** POSIX signals by name through kill(1): the JDK sends only TERM and KILL itself. */
public final class Signals {
    private Signals() {
    }

    /** @return whether kill(1) succeeded (false when the process is gone) */
    public static boolean send(String signal, long pid) {
        try {
            Process p = new ProcessBuilder("kill", "-s", signal, Long.toString(pid))
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
