package dev.gpufleet.e2e.cli;

import dev.gpufleet.cli.Context;
import dev.gpufleet.cli.Gpufleet;
import dev.gpufleet.demomodel.DemoModel;
import dev.gpufleet.demomodel.Preset;
import dev.gpufleet.localstack.FreePorts;
import dev.gpufleet.localstack.launcher.LocalStack;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * One embedded stack for every CLI test class (started by the first that asks, stopped after the last), with one
 * simulated GPU, and a tiny generated GGUF model file to deploy. The CLI finds the stack as it finds the local one:
 * by {@code GPUFLEET_GATEWAY_PORT} and the admin key file under {@code GPUFLEET_DATA_DIR}.
 */
public final class CliStack implements ParameterResolver, ExtensionContext.Store.CloseableResource {
    private static final String KEY = CliStack.class.getName();

    final Path dir;
    final LocalStack stack;
    final Path modelFile;
    final Path root = Path.of(System.getProperty("gpufleet.root", "..")).toAbsolutePath().normalize();

    /** What a run of the CLI answered. */
    public record Result(int code, String out, String err) {
        @Override
        public String toString() {
            return "exit " + code + "\n--- out:\n" + out + "--- err:\n" + err;
        }
    }

    public CliStack() {
        this.dir = null;
        this.stack = null;
        this.modelFile = null;
    }

    private CliStack(Path dir) throws IOException {
        this.dir = dir;
        this.modelFile = dir.resolve("tiny.gguf");
        DemoModel.write(Preset.TINY, 3, modelFile);
        LocalStack.Options options = new LocalStack.Options(root, dir.resolve("stack"), FreePorts.pick(),
                FreePorts.pick(), FreePorts.pick(), FreePorts.pick(), Duration.ofSeconds(180), Map.of(
                "GPUFLEET_WORKER_SIMULATED_DEVICES", "nvidia:NVIDIA GeForce RTX 4090:24GiB",
                "GPUFLEET_WORKER_HEARTBEAT_INTERVAL", "1s",
                "GPUFLEET_SCHEDULER_RESTART_BACKOFF_BASE", "1s"));
        this.stack = LocalStack.start(options, new PrintStream(new ByteArrayOutputStream(), true,
                StandardCharsets.UTF_8));
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext extension) {
        return parameter.getParameter().getType() == CliStack.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext extension) {
        return extension.getRoot().getStore(ExtensionContext.Namespace.GLOBAL).getOrComputeIfAbsent(KEY, key -> {
            try {
                long t0 = System.nanoTime();
                CliStack started = new CliStack(Files.createTempDirectory("gpufleet-cli-e2e"));
                System.out.printf("### CLI tests: embedded stack ready in %.1f s%n", (System.nanoTime() - t0) / 1e9);
                return started;
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }, CliStack.class);
    }

    @Override
    public void close() throws IOException {
        stack.close();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    public String gatewayUrl() {
        return stack.gatewayUrl();
    }

    public Path dataDir() {
        return dir.resolve("stack");
    }

    public String adminKey() throws IOException {
        return Files.readString(stack.adminKeyFile()).trim();
    }

    /**
     * The environment under which the CLI finds this stack as the local default (no server, no key given), with
     * a config file of its own.
     */
    public Map<String, String> env() {
        Map<String, String> env = new HashMap<>();
        env.put("GPUFLEET_GATEWAY_PORT", Integer.toString(java.net.URI.create(gatewayUrl()).getPort()));
        env.put("GPUFLEET_DATA_DIR", dataDir().toString());
        env.put("GPUFLEET_CONFIG", dir.resolve("no-config").toString());
        return env;
    }

    /** Runs the CLI in-process under {@link #env()} with {@code extraEnv}, standard input {@code stdin}. */
    public Result cli(Map<String, String> extraEnv, String stdin, String... args) {
        Map<String, String> env = env();
        env.putAll(extraEnv);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Gpufleet.run(new Context(env, root, dir, dir,
                new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                false), args);
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    public Result cli(String... args) {
        return cli(Map.of(), "", args);
    }
}
