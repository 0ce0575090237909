package dev.gpufleet.localstack.launcher;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/**
 * {@code ./gpufleet up}: starts the embedded default and keeps it running until Ctrl-C.
 *
 * <p>Settings (environment): {@code GPUFLEET_DATA_DIR} (default {@code ./.gpufleet}), {@code GPUFLEET_GATEWAY_PORT}
 * (8080), {@code GPUFLEET_REGISTRY_PORT} (8081), {@code GPUFLEET_SCHEDULER_PORT} (8082), {@code GPUFLEET_WORKER_PORT}
 * (10150), {@code GPUFLEET_READY_TIMEOUT} (seconds, 120), {@code GPUFLEET_JAVA_OPTS} (JVM options of the services),
 * {@code GPUFLEET_DEMO} ({@code on}; {@code off} skips generating and registering the demo model).
 * Every {@code GPUFLEET_WORKER_*} variable reaches the worker agent as it is.
 */
public final class Launcher {
    private Launcher() {
    }

    public static void main(String[] args) throws InterruptedException {
        PrintStream out = System.out;
        if (args.length != 1 || !args[0].equals("up")) {
            out.println("usage: gpufleet up");
            System.exit(2);
        }
        Map<String, String> env = System.getenv();
        LocalStack.Options options;
        try {
            options = new LocalStack.Options(Path.of("."), Path.of(env.getOrDefault("GPUFLEET_DATA_DIR", ".gpufleet")),
                    port(env, "GPUFLEET_GATEWAY_PORT", 8080), port(env, "GPUFLEET_REGISTRY_PORT", 8081),
                    port(env, "GPUFLEET_SCHEDULER_PORT", 8082), port(env, "GPUFLEET_WORKER_PORT", 10150),
                    Duration.ofSeconds(number(env, "GPUFLEET_READY_TIMEOUT", 120, 10, 3600)), Map.of());
        } catch (IllegalArgumentException e) {
            System.err.println("gpufleet: " + e.getMessage());
            System.exit(2);
            return;
        }

        long t0 = System.nanoTime();
        LocalStack stack;
        try {
            stack = LocalStack.start(options, out);
        } catch (RuntimeException e) {
            System.err.println("gpufleet: could not start: " + e.getMessage());
            System.exit(1);
            return;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            out.println("\nStopping gpufleet ...");
            stack.close();
            out.println("Stopped. Data kept in " + options.dataDir().toAbsolutePath().normalize());
            stopped.countDown();
        }, "gpufleet-stop"));

        printSummary(out, stack, (System.nanoTime() - t0) / 1_000_000);
        if (!"off".equalsIgnoreCase(env.getOrDefault("GPUFLEET_DEMO", "on"))) {
            startDemo(out, stack, options);
        }
        out.println("Press Ctrl-C to stop everything.");
        watch(stack, out);
        stopped.await();
    }

    /** Generates, registers and waits for the demo model; a failure here is reported, the stack keeps running. */
    private static void startDemo(PrintStream out, LocalStack stack, LocalStack.Options options) {
        try {
            long t0 = System.nanoTime();
            Path file = DemoModelSetup.ensureFile(options.dataDir(), dev.gpufleet.demomodel.Preset.DEMO);
            DemoModelSetup demo = new DemoModelSetup(stack, out);
            String modelId = demo.ensureRegistered(DemoModelSetup.MODEL_NAME, file);
            out.printf("%nDemo model '%s' (%s, random weights: real llama.cpp inference, gibberish text) ...%n",
                    DemoModelSetup.MODEL_NAME, file);
            var instance = demo.awaitRunning(modelId, options.readyTimeout());
            if (instance != null && "RUNNING".equals(instance.path("state").asText())) {
                out.printf("Demo model RUNNING after %.1f s. Chat with it from the command line:%n%n"
                                + "  ./gpufleet chat %s 'Hello!'%n%nor through the OpenAI-compatible API:%n%n",
                        (System.nanoTime() - t0) / 1e9, DemoModelSetup.MODEL_NAME);
                out.printf("  curl %s/v1/chat/completions -H \"Authorization: Bearer $(cat %s)\" \\%n"
                                + "       -H 'Content-Type: application/json' \\%n"
                                + "       -d '{\"model\": \"%s\", \"messages\": [{\"role\": \"user\", "
                                + "\"content\": \"Hello!\"}], \"max_tokens\": 32}'%n%n",
                        stack.gatewayUrl(), stack.clusterTokenFile(), DemoModelSetup.MODEL_NAME);
            } else {
                out.printf("Demo model not RUNNING after %d s: %s. See %s.%n", options.readyTimeout().toSeconds(),
                        instance == null ? "no instance yet"
                                : instance.path("state").asText() + " " + instance.path("state_message").asText(""),
                        options.dataDir().resolve("logs"));
            }
        } catch (RuntimeException e) {
            out.println("Could not set up the demo model: " + e.getMessage());
        }
    }

    private static void printSummary(PrintStream out, LocalStack stack, long millis) {
        out.printf("%ngpufleet is ready in %.1f s%n%n", millis / 1000.0);
        out.printf("  %-18s %-8s %-40s %s%n", "component", "pid", "address", "log");
        for (LocalStack.Component c : stack.components()) {
            out.printf("  %-18s %-8d %-40s %s%n", c.name(), c.pid(), c.url(), c.log());
        }
        out.printf("%nWeb console: %s/ (sign in with the admin user's API key below)%n", stack.gatewayUrl());
        out.printf("OpenAI-compatible API: %s/v1%n", stack.gatewayUrl());
        out.printf("Cluster token (admin and API access for now): %s%n", stack.clusterTokenFile());
        out.printf("Command line: ./gpufleet status, ./gpufleet --help (on this machine it uses the admin's key)%n");
        out.printf("Admin user's API key (users and keys: %s/api/v1/users, /api/v1/api-keys): %s%n",
                stack.gatewayUrl(), stack.adminKeyFile());
        out.printf("Admin API: %s/api/v1/models (registry), %s/api/v1/instances (scheduler)%n",
                stack.registryUrl(), stack.schedulerUrl());
    }

    /** Says so, with the log's tail, when a component dies while the stack runs. */
    private static void watch(LocalStack stack, PrintStream out) {
        Thread t = new Thread(() -> {
            Set<String> reported = new HashSet<>();
            while (true) {
                for (String dead : stack.deadComponents()) {
                    if (reported.add(dead)) {
                        out.printf("%n!! %s stopped unexpectedly. Last lines of its log:%n%s%n", dead,
                                stack.logTail(dead, 20));
                    }
                }
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "gpufleet-watch");
        t.setDaemon(true);
        t.start();
    }

    private static int port(Map<String, String> env, String name, int fallback) {
        return (int) number(env, name, fallback, 1, 65535);
    }

    private static long number(Map<String, String> env, String name, long fallback, long min, long max) {
        String v = env.get(name);
        if (v == null || v.isBlank()) {
            return fallback;
        }
        try {
            long n = Long.parseLong(v.trim());
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException(name + " must be a number from " + min + " to " + max + ", was '" + v + "'");
    }
}
