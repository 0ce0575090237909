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
 *   <li>{@code rpc-wait-ms}: with {@code --rpc host:port,...}, how long it tries to connect to each RPC server
 *   before it exits with code 1, as llama-box does when one is unreachable (default 5000)</li>
 *   <li>{@code say}: lines (separated by {@code |}) printed at start, like a loader's log</li>
 *   <li>{@code metrics}: lines (separated by {@code |}) served on {@code GET /metrics} as llama.cpp's server does
 *   with {@code --metrics} (404 without), to a caller that sends {@code --api-key}'s key when one was given</li>
 * </ul>
 * Runs on the JDK alone, with no dependency, so a test can start it as {@code java -cp test-classes ...}.
 *
 * <p>With {@code --rpc-server-port} it is a llama.cpp RPC server instead ({@code llama-box --rpc-server-host H
 * --rpc-server-port P ...}): it listens on that port (a plain TCP socket that accepts and holds connections), exits
 * with code 1 when the port is taken, and, when {@code GPUFLEET_TEST_RPC_DIR} is set, records its arguments and
 * environment to {@code rpc-<port>.argv} and {@code rpc-<port>.env} there.
 */
public final class StandInBackend {
    private StandInBackend() {
    }

    public static void main(String[] args) throws Exception {
        String host = "127.0.0.1";
        int port = -1;
        String model = null;
        String rpc = null;
        String apiKey = null;
        String rpcHost = "127.0.0.1";
        int rpcPort = -1;
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
                case "--api-key":
                    apiKey = args[i + 1];
                    break;
                case "--rpc":
                    rpc = args[i + 1];
                    break;
                case "--rpc-server-host":
                    rpcHost = args[i + 1];
                    break;
                case "--rpc-server-port":
                    rpcPort = Integer.parseInt(args[i + 1]);
                    break;
                default:
                    break;
            }
        }
        if (rpcPort >= 0) {
            rpcServer(args, rpcHost, rpcPort);
            return;
        }
        if (port < 0 || model == null) {
            System.err.println("usage: llama-box --host H --port P -m MODEL ...");
            System.exit(2);
        }
        Files.write(Path.of(model + ".argv"), List.of(args), StandardCharsets.UTF_8);
        Files.write(Path.of(model + ".env"), envLines(), StandardCharsets.UTF_8);

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

        if (rpc != null) {
            connectRpcServers(rpc, Long.parseLong(behaviour.getProperty("rpc-wait-ms", "5000")));
        }
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
        String metrics = behaviour.getProperty("metrics");
        String key = apiKey;
        server.createContext("/metrics", exchange -> {
            boolean allowed = key == null
                    || ("Bearer " + key).equals(exchange.getRequestHeaders().getFirst("Authorization"));
            byte[] body = (!allowed ? "{\"error\":\"Invalid API Key\"}" : metrics == null ? "not found"
                    : String.join("\n", metrics.split("\\|")) + "\n").getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(!allowed ? 401 : metrics == null ? 404 : 200, body.length);
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

    private static void connectRpcServers(String endpoints, long waitMillis) throws InterruptedException {
        long giveUp = System.currentTimeMillis() + waitMillis;
        for (String endpoint : endpoints.split(",")) {
            int colon = endpoint.lastIndexOf(':');
            String host = endpoint.substring(0, colon).replace("[", "").replace("]", "");
            int port = Integer.parseInt(endpoint.substring(colon + 1));
            while (true) {
                try (java.net.Socket socket = new java.net.Socket()) {
                    socket.connect(new InetSocketAddress(host, port), 500);
                    System.out.println("stand-in: connected to RPC server " + endpoint);
                    break;
                } catch (IOException e) {
                    if (System.currentTimeMillis() >= giveUp) {
                        System.err.println("stand-in: failed to connect to RPC server " + endpoint + ": " + e);
                        System.err.flush();
                        System.exit(1);
                    }
                    Thread.sleep(100);
                }
            }
        }
    }

    private static List<String> envLines() {
        Map<String, String> env = new TreeMap<>();
        System.getenv().forEach((name, value) -> {
            if (name.endsWith("_VISIBLE_DEVICES") || name.startsWith("GPUFLEET_TEST_")) {
                env.put(name, value);
            }
        });
        List<String> lines = new ArrayList<>();
        env.forEach((name, value) -> lines.add(name + "=" + value));
        return lines;
    }

    private static void rpcServer(String[] args, String host, int port) throws Exception {
        String recordDir = System.getenv("GPUFLEET_TEST_RPC_DIR");
        if (recordDir != null) {
            Files.write(Path.of(recordDir, "rpc-" + port + ".argv"), List.of(args), StandardCharsets.UTF_8);
            Files.write(Path.of(recordDir, "rpc-" + port + ".env"), envLines(), StandardCharsets.UTF_8);
        }
        java.net.ServerSocket socket;
        try {
            socket = new java.net.ServerSocket();
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(host, port));
        } catch (IOException e) {
            System.err.println("stand-in rpc server: cannot listen on " + host + ":" + port + ": " + e.getMessage());
            System.err.flush();
            System.exit(1);
            return;
        }
        System.out.println("stand-in rpc server: listening on " + host + ":" + port);
        System.out.flush();
        List<java.net.Socket> held = new ArrayList<>();
        while (true) {
            held.add(socket.accept());
        }
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
