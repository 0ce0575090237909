package dev.gpufleet.llamacpp.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** The packaged llamacpp-server jar run as a child process, its output in files of its working directory. */
final class ServerProcess implements AutoCloseable {

    private static final Pattern LISTENING = Pattern.compile("llamacpp-server listening on http://([^:]+):(\\d+)");

    final Path workDir;
    final Process process;
    private int port = -1;

    private ServerProcess(Path workDir, Process process) {
        this.workDir = workDir;
        this.process = process;
    }

    static Path jar() {
        String jar = System.getProperty("llamacpp.server.jar");
        if (jar == null || !Files.isRegularFile(Path.of(jar))) {
            throw new IllegalStateException("run through failsafe after package: llamacpp.server.jar=" + jar);
        }
        return Path.of(jar);
    }

    /** Starts {@code java [jvmOptions] -jar llamacpp-server.jar [args]} in {@code workDir}. */
    static ServerProcess start(Path workDir, List<String> jvmOptions, List<String> args) throws IOException {
        Files.createDirectories(workDir);
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-XX:TieredStopAtLevel=1");
        command.addAll(jvmOptions);
        command.add("-jar");
        command.add(jar().toString());
        command.addAll(args);
        Process p = new ProcessBuilder(command)
                .directory(workDir.toFile())
                .redirectOutput(workDir.resolve("stdout.log").toFile())
                .redirectError(workDir.resolve("stderr.log").toFile())
                .start();
        return new ServerProcess(workDir, p);
    }

    /** Runs to the end and returns the exit code. */
    static ServerProcess run(Path workDir, List<String> args) throws Exception {
        ServerProcess s = start(workDir, List.of(), args);
        if (!s.process.waitFor(30, TimeUnit.SECONDS)) {
            s.process.destroyForcibly();
            throw new AssertionError("llamacpp-server did not exit: " + s.stderr());
        }
        return s;
    }

    /** Waits for the "listening" line and returns the port. */
    int awaitListening(Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            Matcher m = LISTENING.matcher(stdout());
            if (m.find()) {
                port = Integer.parseInt(m.group(2));
                return port;
            }
            if (!process.isAlive()) {
                throw new AssertionError("llamacpp-server exited with " + process.exitValue() + ": " + stderr());
            }
            Thread.sleep(20);
        }
        throw new AssertionError("llamacpp-server did not listen within " + timeout + ": " + stdout() + stderr());
    }

    String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    String stdout() throws IOException {
        return read("stdout.log");
    }

    String stderr() throws IOException {
        return read("stderr.log");
    }

    private String read(String name) throws IOException {
        Path f = workDir.resolve(name);
        return Files.exists(f) ? Files.readString(f, StandardCharsets.UTF_8) : "";
    }

    /** JVM crash reports the process left in its working directory. */
    List<Path> crashReports() throws IOException {
        try (Stream<Path> files = Files.list(workDir)) {
            return files.filter(f -> f.getFileName().toString().startsWith("hs_err")).toList();
        }
    }

    int exitCode() {
        return process.exitValue();
    }

    @Override
    public void close() throws Exception {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        }
    }
}
