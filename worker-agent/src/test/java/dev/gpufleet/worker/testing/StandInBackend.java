package dev.gpufleet.worker.testing;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;

/**
 * Behaves like llama-box as far as the agent can see, without a model: takes {@code --host}, {@code --port} and
 * {@code -m}, records its arguments to {@code <model>.argv} (one per line) and its visible-device and
 * {@code GPUFLEET_TEST_*} environment to {@code <model>.env}, and serves {@code GET /health}. What it does is read
 * from the "model file", a properties file:
 * <ul>
 *   <li>{@code healthy-after-ms}: /health answers 503 until then (default 0)</li>
 *   <li>{@code never-healthy=true}: /health always answers 503</li>
 *   <li>{@code hang-after-ms}: from then on /health accepts the connection and never answers</li>
 *   <li>{@code exit-code} with {@code exit-after-ms}: exits with that code then</li>
 *   <li>{@code say}: lines (separated by {@code |}) printed at start, like a loader's log</li>
 * </ul>
 * Runs on the JDK alone, with no dependency, so a test can start it as {@code java -cp test-classes ...}.
 */
public final class StandInBackend {
    private StandInBackend() {
    }

    public static void main(String[] args) throws Exception {
        String host = "127.0.0.1";
        int port = -1;
        String model = null;
        for (int i = 0; i < args.length - 1; i++) {
            switch (args[i]) {
                case "--host":
                    host = args[i + 1];
                    break;
                case "--port":
                    port = Integer.parseInt(args[i + 1]);
                    break;
                case "-m":
                    model = args[i + 1];
                    break;
                default:
                    break;
            }
        }
        if (port < 0 || model == null) {
            System.err.println("usage: llama-box --host H --port P -m MODEL ...");
            System.exit(2);
        }
        Files.write(Path.of(model + ".argv"), List.of(args), StandardCharsets.UTF_8);
        Map<String, String> env = new TreeMap<>();
        System.getenv().forEach((name, value) -> {
            if (name.endsWith("_VISIBLE_DEVICES") || name.startsWith("GPUFLEET_TEST_")) {
                env.put(name, value);
            }
        });
        List<String> envLines = new ArrayList<>();
        env.forEach((name, value) -> envLines.add(name + "=" + value));
        Files.write(Path.of(model + ".env"), envLines, StandardCharsets.UTF_8);

        Properties behaviour = new Properties();
        try (var in = Files.newBufferedReader(Path.of(model))) {
            behaviour.load(in);
        }
        for (String line : behaviour.getProperty("say", "").split("\\|")) {
            if (!line.isBlank()) {
                System.out.println(line);
            }
        }
        System.out.flush();

        long started = System.currentTimeMillis();
        long healthyAfter = Long.parseLong(behaviour.getProperty("healthy-after-ms", "0"));
        boolean neverHealthy = Boolean.parseBoolean(behaviour.getProperty("never-healthy", "false"));
        long hangAfter = Long.parseLong(behaviour.getProperty("hang-after-ms", "-1"));
        CountDownLatch never = new CountDownLatch(1);

        HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 16);
        server.createContext("/health", exchange -> {
            long age = System.currentTimeMillis() - started;
            if (hangAfter >= 0 && age >= hangAfter) {
                try {
                    never.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return;
            }
            boolean healthy = !neverHealthy && age >= healthyAfter;
            byte[] body = (healthy ? "{\"status\":\"ok\"}" : "{\"status\":\"loading model\"}")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(healthy ? 200 : 503, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        server.start();
        System.out.println("stand-in: listening on " + host + ":" + port);
        System.out.flush();

        String exitCode = behaviour.getProperty("exit-code");
        if (exitCode != null) {
            Thread.sleep(Long.parseLong(behaviour.getProperty("exit-after-ms", "0")));
            System.err.println("stand-in: exiting with code " + exitCode);
            System.err.flush();
            System.exit(Integer.parseInt(exitCode));
        }
        never.await();
    }

    /** Writes a "model file" that makes the stand-in behave as described by {@code behaviour}. */
    public static Path modelFile(Path dir, String name, String... behaviour) throws IOException {
        Path file = dir.resolve(name);
        Files.write(file, List.of(behaviour), StandardCharsets.UTF_8);
        return file;
    }

    public static List<String> recordedArgs(Path model) throws IOException {
        return Files.readAllLines(Path.of(model + ".argv"), StandardCharsets.UTF_8);
    }

    public static List<String> recordedEnv(Path model) throws IOException {
        return Files.readAllLines(Path.of(model + ".env"), StandardCharsets.UTF_8);
    }
}
