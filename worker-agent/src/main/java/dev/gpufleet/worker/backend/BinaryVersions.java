package dev.gpufleet.worker.backend;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * What a backend binary says to {@code --version}: its first non-blank line, asked once per command (a binary
 * replaced while the agent runs is asked again only after a restart of the agent), within a bounded time so a
 * binary that hangs or waits for input cannot hold up a start. Unknown (null) when it fails or takes too long.
 */
public final class BinaryVersions {
    private static final int MAX_OUTPUT = 4096;
    private final Duration timeout;
    private final Map<List<String>, String> cache = new ConcurrentHashMap<>();

    public BinaryVersions(Duration timeout) {
        this.timeout = timeout;
    }

    public String of(List<String> command) {
        if (command.isEmpty()) {
            return null;
        }
        return cache.computeIfAbsent(List.copyOf(command), this::ask);
    }

    private String ask(List<String> command) {
        List<String> args = new java.util.ArrayList<>(command);
        args.add("--version");
        Process process = null;
        try {
            ProcessBuilder builder = new ProcessBuilder(args).redirectErrorStream(true);
            builder.environment().clear();
            builder.environment().putAll(dev.gpufleet.worker.processes.ProcessEnvironment.of(System.getenv(),
                    java.util.Map.of()));
            process = builder.start();
            process.getOutputStream().close();
            Process running = process;
            byte[][] output = new byte[1][];
            Thread reader = new Thread(() -> {
                try (InputStream in = running.getInputStream()) {
                    output[0] = in.readNBytes(MAX_OUTPUT);
                } catch (IOException e) {
                    output[0] = new byte[0];
                }
            }, "gpufleet-version-reader");
            reader.setDaemon(true);
            reader.start();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                return "unknown (" + command.get(0) + " --version gave no answer within " + timeout.toMillis()
                        + " ms)";
            }
            reader.join(1000);
            String text = output[0] == null ? "" : new String(output[0], StandardCharsets.UTF_8);
            return text.lines().map(String::strip).filter(l -> !l.isEmpty()).findFirst()
                    .orElse("unknown (" + command.get(0) + " --version printed nothing)");
        } catch (IOException e) {
            return "unknown (" + e.getMessage() + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown (interrupted)";
        } finally {
            if (process != null && process.isAlive()) {
                process.destroyForcibly();
            }
        }
    }
}
