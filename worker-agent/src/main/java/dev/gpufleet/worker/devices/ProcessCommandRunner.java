package dev.gpufleet.worker.devices;

import dev.gpufleet.worker.processes.ProcessEnvironment;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Runs tools as real processes, found on a search path like {@code PATH}. */
public final class ProcessCommandRunner implements CommandRunner {
    /** More than any tool prints for a few dozen devices; a tool that prints more is cut off, not buffered. */
    static final int MAX_OUTPUT_BYTES = 4 << 20;
    private static final ExecutorService READERS = Executors.newCachedThreadPool(task -> {
        Thread thread = new Thread(task, "gpufleet-device-tool-output");
        thread.setDaemon(true);
        return thread;
    });

    private final List<Path> searchPath;

    public ProcessCommandRunner(String searchPath) {
        List<Path> dirs = new ArrayList<>();
        for (String dir : (searchPath == null ? "" : searchPath).split(File.pathSeparator)) {
            if (!dir.isBlank()) {
                dirs.add(Path.of(dir.trim()));
            }
        }
        this.searchPath = List.copyOf(dirs);
    }

    public static ProcessCommandRunner onAgentPath() {
        return new ProcessCommandRunner(System.getenv("PATH"));
    }

    @Override
    public Optional<String> find(String tool) {
        for (Path dir : searchPath) {
            Path candidate = dir.resolve(tool);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate.toString());
            }
        }
        return Optional.empty();
    }

    @Override
    public String run(List<String> command, Duration timeout) throws ToolFailure {
        String tool = command.get(0);
        String executable = find(tool).orElseThrow(() -> new ToolFailure(tool + " is not on the search path"));
        List<String> argv = new ArrayList<>(command);
        argv.set(0, executable);
        Process process;
        try {
            ProcessBuilder builder = new ProcessBuilder(argv).redirectInput(ProcessBuilder.Redirect.PIPE);
            builder.environment().clear();
            builder.environment().putAll(ProcessEnvironment.of(System.getenv(), java.util.Map.of()));
            process = builder.start();
            process.getOutputStream().close();
        } catch (IOException e) {
            throw new ToolFailure(String.join(" ", command) + " could not be started: " + e.getMessage());
        }
        CompletableFuture<String> stdout = CompletableFuture.supplyAsync(() -> read(process.getInputStream()), READERS);
        CompletableFuture<String> stderr = CompletableFuture.supplyAsync(() -> read(process.getErrorStream()), READERS);
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                kill(process);
                throw new ToolFailure(String.join(" ", command) + " did not finish within " + seconds(timeout));
            }
            String out = stdout.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (process.exitValue() != 0) {
                String err = stderr.get(timeout.toMillis(), TimeUnit.MILLISECONDS).strip();
                String said = err.isEmpty() ? out.strip() : err;
                throw new ToolFailure(String.join(" ", command) + " exited with status " + process.exitValue()
                        + (said.isEmpty() ? "" : ": " + firstLines(said)));
            }
            return out;
        } catch (InterruptedException e) {
            kill(process);
            Thread.currentThread().interrupt();
            throw new ToolFailure(String.join(" ", command) + " was interrupted");
        } catch (ExecutionException | TimeoutException e) {
            // a child that inherited the pipes can keep them open after the tool itself exited
            kill(process);
            throw new ToolFailure(String.join(" ", command) + " did not close its output within "
                    + seconds(timeout));
        }
    }

    private static void kill(Process process) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }

    private static String read(InputStream in) {
        try (in) {
            byte[] bytes = in.readNBytes(MAX_OUTPUT_BYTES);
            in.transferTo(java.io.OutputStream.nullOutputStream());
            return new String(bytes, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    private static String seconds(Duration timeout) {
        return timeout.toMillis() % 1000 == 0 ? timeout.toSeconds() + " s" : timeout.toMillis() + " ms";
    }

    /** At most two lines of 200 characters: enough to say what happened in a state message. */
    static String firstLines(String text) {
        String[] lines = text.strip().split("\\R");
        String joined = lines.length > 1 ? lines[0].strip() + " / " + lines[1].strip() : lines[0].strip();
        return joined.length() > 200 ? joined.substring(0, 200) + "…" : joined;
    }
}
