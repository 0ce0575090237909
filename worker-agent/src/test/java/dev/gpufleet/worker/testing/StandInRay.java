package dev.gpufleet.worker.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Stands in for Ray's CLI as the agent runs it: {@code ray start (--head | --address HOST:PORT) [options] --block}.
 * Takes exactly the options {@link dev.gpufleet.worker.backend.RayCommands} passes and refuses others like the real
 * CLI (click: {@code Error: No such option}, exit 2). Both kinds listen on {@code --node-manager-port} (the raylet's
 * port, what the agent waits for on a subordinate). The head listens on its GCS port ({@code --port}) and counts the
 * GPUs of the cluster: its own {@code --num-gpus} and those of each worker connected to it. A worker exits with
 * code 1 when the GCS does not answer (as {@code ray start} does) and when its connection to the head ends (the
 * real raylet dies once the GCS is gone). Without {@code --block} it exits 0 at once, as the real one leaves its
 * daemons behind.
 *
 * <p>The GCS answers two one-line requests: {@code JOIN <gpus> <node-ip>} (a worker; the connection stays open) and
 * {@code GPUS} (the cluster's GPU count; the vLLM stand-in asks it, like vLLM waits for its placement group).
 *
 * <p>With {@code GPUFLEET_TEST_RAY_DIR} set it records {@code head.argv}/{@code head.env} or
 * {@code worker-<node manager port>.argv/.env} there; {@code behaviour.properties} there may say
 * {@code head.crash=true} or {@code worker.crash=true} (exit 134 at once).
 */
public final class StandInRay {
    static final Set<String> VALUED = Set.of("--address", "--port", "--ray-client-server-port", "--dashboard-port",
            "--node-ip-address", "--num-gpus", "--node-manager-port", "--object-manager-port",
            "--runtime-env-agent-port", "--dashboard-agent-grpc-port", "--dashboard-agent-listen-port",
            "--metrics-export-port", "--min-worker-port", "--max-worker-port");
    static final Set<String> SWITCHES = Set.of("--head", "--block");

    private StandInRay() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0 || !args[0].equals("start")) {
            fail(2, "Usage: ray [OPTIONS] COMMAND [ARGS]...\nError: this stand-in knows only 'ray start'");
        }
        Map<String, String> flags = new LinkedHashMap<>();
        for (int i = 1; i < args.length; i++) {
            String arg = args[i];
            if (VALUED.contains(arg)) {
                if (i + 1 >= args.length) {
                    fail(2, "Error: Option '" + arg + "' requires an argument.");
                }
                flags.put(arg, args[++i]);
            } else if (SWITCHES.contains(arg)) {
                flags.put(arg, "true");
            } else {
                fail(2, "Usage: ray start [OPTIONS]\nTry 'ray start --help' for help.\n\nError: No such option: "
                        + arg);
            }
        }
        boolean head = flags.containsKey("--head");
        if (head == flags.containsKey("--address")) {
            fail(2, "Error: exactly one of --head and --address must be given");
        }
        String role = head ? "head" : "worker";
        String nodeIp = flags.getOrDefault("--node-ip-address", "127.0.0.1");
        int gpus = Integer.parseInt(flags.getOrDefault("--num-gpus", "0"));
        int nodeManagerPort = Integer.parseInt(flags.getOrDefault("--node-manager-port", "0"));
        record(head ? "head" : "worker-" + nodeManagerPort, args);
        Properties behaviour = behaviour();
        if (Boolean.parseBoolean(behaviour.getProperty(role + ".crash", "false"))) {
            fail(134, "ray stand-in: the " + role + " crashes");
        }
        if (!flags.containsKey("--block")) {
            System.out.println("Ray runtime started (the stand-in does not run in the background).");
            System.exit(0);
        }
        if (head) {
            runHead(nodeIp, Integer.parseInt(flags.getOrDefault("--port", "6379")), gpus);
        }
        Socket gcs = head ? null : joinHead(flags.get("--address"), gpus, nodeIp);
        listenForever(nodeIp, nodeManagerPort, "node manager");
        System.out.println("ray stand-in: " + role + " node " + nodeIp + " with " + gpus + " GPU(s) is up");
        System.out.flush();
        if (gcs == null) {
            Thread.currentThread().join();
        }
        // a worker lives as long as its connection to the GCS
        while (gcs.getInputStream().read() >= 0) {
            Thread.onSpinWait();
        }
        fail(1, "ray stand-in: the GCS at " + flags.get("--address") + " went away; this node is marked dead");
    }

    private static void runHead(String nodeIp, int port, int ownGpus) throws IOException {
        AtomicInteger gpus = new AtomicInteger(ownGpus);
        ServerSocket server = bind(nodeIp, port, "GCS");
        Thread accept = new Thread(() -> {
            while (true) {
                try {
                    Socket client = server.accept();
                    Thread serve = new Thread(() -> serve(client, gpus));
                    serve.setDaemon(true);
                    serve.start();
                } catch (IOException e) {
                    return;
                }
            }
        });
        accept.setDaemon(true);
        accept.start();
        System.out.println("ray stand-in: GCS listening on " + nodeIp + ":" + port);
    }

    private static void serve(Socket client, AtomicInteger gpus) {
        try (client) {
            BufferedReader in = new BufferedReader(new InputStreamReader(client.getInputStream(),
                    StandardCharsets.UTF_8));
            String line = in.readLine();
            if (line == null) {
                return;
            }
            String[] words = line.trim().split(" ");
            if (words[0].equals("GPUS")) {
                PrintWriter out = new PrintWriter(client.getOutputStream(), true, StandardCharsets.UTF_8);
                out.println(gpus.get());
            } else if (words[0].equals("JOIN") && words.length == 3) {
                int joined = Integer.parseInt(words[1]);
                gpus.addAndGet(joined);
                System.out.println("ray stand-in: node " + words[2] + " joined with " + joined + " GPU(s); the "
                        + "cluster has " + gpus.get());
                System.out.flush();
                while (in.read() >= 0) {
                    Thread.onSpinWait();
                }
                gpus.addAndGet(-joined);
                System.out.println("ray stand-in: node " + words[2] + " left");
                System.out.flush();
            }
        } catch (IOException | RuntimeException e) {
            // a client that went away
        }
    }

    private static Socket joinHead(String address, int gpus, String nodeIp) {
        int colon = address.lastIndexOf(':');
        String host = address.substring(0, colon).replace("[", "").replace("]", "");
        int port = Integer.parseInt(address.substring(colon + 1));
        try {
            Socket socket = new Socket();
            socket.connect(new InetSocketAddress(host, port), 2_000);
            OutputStream out = socket.getOutputStream();
            out.write(("JOIN " + gpus + " " + nodeIp + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            return socket;
        } catch (IOException e) {
            fail(1, "ConnectionError: Unable to connect to GCS at " + address + ". Check that (1) Ray GCS with "
                    + "matching version started successfully at the specified address, and (2) there is no "
                    + "firewall setting preventing access. (" + e.getMessage() + ")");
            return null;
        }
    }

    private static void listenForever(String host, int port, String what) throws IOException {
        ServerSocket server = bind(host, port, what);
        Thread accept = new Thread(() -> {
            while (true) {
                try (Socket ignored = server.accept()) {
                    Thread.onSpinWait();
                } catch (IOException e) {
                    return;
                }
            }
        });
        accept.setDaemon(true);
        accept.start();
    }

    private static ServerSocket bind(String host, int port, String what) {
        try {
            ServerSocket server = new ServerSocket();
            server.bind(new InetSocketAddress(host, port));
            return server;
        } catch (IOException e) {
            fail(1, "ray stand-in: cannot listen on " + host + ":" + port + " (" + what + "): " + e.getMessage());
            return null;
        }
    }

    private static void record(String name, String[] args) throws IOException {
        String dir = System.getenv("GPUFLEET_TEST_RAY_DIR");
        if (dir == null || dir.isBlank()) {
            return;
        }
        Path record = Files.createDirectories(Path.of(dir));
        Files.write(record.resolve(name + ".argv"), List.of(args), StandardCharsets.UTF_8);
        List<String> env = new ArrayList<>();
        new TreeMap<>(System.getenv()).forEach((k, v) -> env.add(k + "=" + v));
        Files.write(record.resolve(name + ".env"), env, StandardCharsets.UTF_8);
    }

    private static Properties behaviour() throws IOException {
        Properties behaviour = new Properties();
        String dir = System.getenv("GPUFLEET_TEST_RAY_DIR");
        if (dir != null && Files.isRegularFile(Path.of(dir, "behaviour.properties"))) {
            try (var in = Files.newBufferedReader(Path.of(dir, "behaviour.properties"))) {
                behaviour.load(in);
            }
        }
        return behaviour;
    }

    private static void fail(int code, String message) {
        System.err.println(message);
        System.err.flush();
        System.exit(code);
    }
}
