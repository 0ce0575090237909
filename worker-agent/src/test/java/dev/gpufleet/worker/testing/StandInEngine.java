package dev.gpufleet.worker.testing;

import com.sun.net.httpserver.HttpServer;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Stands in for vLLM ({@code vllm serve MODEL ...}), vox-box ({@code vox-box start ...}) and MindIE's daemon (no
 * arguments; reads the config file named by {@code MIES_CONFIG_JSON_PATH}). The first argument says which
 * ({@code vllm}, {@code vox-box}, {@code mindie}; {@link StandIns#installEngine} writes it). Refuses arguments the
 * real one would not take (exit 2, like argparse). Records its arguments, environment and config file under
 * {@code $GPUFLEET_TEST_RECORD} ({@code argv}, {@code env}, {@code config.json}) and serves the real health routes:
 * vLLM {@code /health}, {@code /v1/models}; vox-box {@code /health}, {@code /v1/models}; MindIE {@code /health},
 * {@code /v2/health/ready}, {@code /v1/models}; and, for every mode, {@code /v1/chat/completions} as server-sent
 * events whose second part is written only once {@code $GPUFLEET_TEST_RECORD/release-stream} exists (so a test
 * proves the first arrived alone). {@code $GPUFLEET_TEST_RECORD/behaviour.properties} can say
 * {@code hang-after-ms}, {@code exit-code} with {@code exit-after-ms}, or {@code crash=true} (exits 134 at once).
 *
 * <p>vLLM with {@code --distributed-executor-backend ray} joins the cluster at {@code RAY_ADDRESS} (a
 * {@link StandInRay} head) and, like vLLM waiting for its placement group, listens only once the cluster has
 * {@code tensor parallel size × pipeline parallel size} GPUs; it exits 1 if the head does not answer or the GPUs do
 * not come within {@code ray-wait-ms} (default 20000). Pipeline parallelism above 1 without Ray is refused.
 *
 * <p>MindIE with {@code multiNodesInferEnabled} is one node of a cluster, as the rank table at {@code RANKTABLEFILE}
 * lists it: it checks what real MindIE needs ({@code RANK_TABLE_FILE} the same file, {@code WORLD_SIZE} its device
 * count, every device with a {@code device_ip}, {@code MIES_CONTAINER_IP} one of its servers) and exits 1 naming what
 * is wrong. The first server is the master: it listens on {@code multiNodesInferPort} at its address and serves HTTP
 * only once every other server has joined (within {@code cluster-wait-ms}, default 20000, else it exits 1); the
 * others join it there. A node whose peer goes away exits 1, as HCCL fails. Each node records under
 * {@code $GPUFLEET_TEST_RECORD/<MIES_CONTAINER_IP>/} (plus {@code ranktable.json}), since every node gets the same
 * environment.
 */
public final class StandInEngine {
    static final Set<String> VLLM_VALUED = Set.of("--host", "--port", "--served-model-name", "--api-key",
            "--gpu-memory-utilization", "--max-model-len", "--tensor-parallel-size", "-tp",
            "--pipeline-parallel-size", "-pp", "--distributed-executor-backend", "--dtype", "--seed");
    static final Set<String> VLLM_SWITCHES = Set.of("--enforce-eager", "--trust-remote-code");
    static final Set<String> VOX_VALUED = Set.of("--host", "--port", "--model", "--data-dir", "--device",
            "--huggingface-repo-id", "--model-scope-model-id");
    static final Set<String> VOX_SWITCHES = Set.of("-d", "--debug");

    private StandInEngine() {
    }

    public static void main(String[] all) throws Exception {
        String mode = all[0];
        List<String> args = List.of(all).subList(1, all.length);
        // never the working directory: the environment it records must not land in the source tree
        String recordDir = System.getenv("GPUFLEET_TEST_RECORD");
        Path record;
        if (recordDir == null || recordDir.isBlank()) {
            // no test reads this one: gone when the stand-in exits or is stopped (TERM), so runs leave no litter
            record = Files.createTempDirectory("stand-in-engine");
            Path unread = record;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    TestDirs.deleteTree(unread);
                } catch (java.io.UncheckedIOException e) {
                    // best effort at exit
                }
            }));
        } else {
            record = Path.of(recordDir);
        }
        String node = System.getenv("MIES_CONTAINER_IP");
        if (mode.equals("mindie") && System.getenv("RANKTABLEFILE") != null && node != null) {
            record = record.resolve(node);
        }
        Files.createDirectories(record);
        Files.write(record.resolve("argv"), args, StandardCharsets.UTF_8);
        List<String> envLines = new ArrayList<>();
        new TreeMap<>(System.getenv()).forEach((name, value) -> envLines.add(name + "=" + value));
        Files.write(record.resolve("env"), envLines, StandardCharsets.UTF_8);

        Map<String, String> flags;
        String host;
        int port;
        switch (mode) {
            case "vllm" -> {
                if (args.size() < 2 || !args.get(0).equals("serve")) {
                    usage("usage: vllm serve MODEL [options]");
                }
                flags = parse(args.subList(2, args.size()), VLLM_VALUED, VLLM_SWITCHES);
                host = flags.getOrDefault("--host", "0.0.0.0");
                port = Integer.parseInt(flags.getOrDefault("--port", "8000"));
                joinRayCluster(flags, record);
            }
            case "vox-box" -> {
                if (args.isEmpty() || !args.get(0).equals("start")) {
                    usage("usage: vox-box start [options]");
                }
                flags = parse(args.subList(1, args.size()), VOX_VALUED, VOX_SWITCHES);
                if (!flags.containsKey("--model") || !flags.containsKey("--data-dir")) {
                    usage("vox-box start: --model and --data-dir are required");
                }
                host = flags.getOrDefault("--host", "0.0.0.0");
                port = Integer.parseInt(flags.getOrDefault("--port", "80"));
            }
            case "mindie" -> {
                if (!args.isEmpty()) {
                    usage("mindieservice_daemon takes no arguments");
                }
                String configPath = System.getenv("MIES_CONFIG_JSON_PATH");
                if (configPath == null) {
                    usage("MIES_CONFIG_JSON_PATH is not set");
                }
                String config = Files.readString(Path.of(configPath));
                Files.writeString(record.resolve("config.json"), config);
                host = find(config, "\"ipAddress\"\\s*:\\s*\"([^\"]+)\"");
                port = Integer.parseInt(find(config, "\"port\"\\s*:\\s*(\\d+)"));
                if (config.matches("(?s).*\"multiNodesInferEnabled\"\\s*:\\s*true.*")) {
                    joinMindieCluster(config, record);
                }
            }
            default -> throw new IllegalArgumentException("unknown stand-in mode " + mode);
        }

        Properties behaviour = new Properties();
        Path behaviourFile = record.resolve("behaviour.properties");
        if (Files.isRegularFile(behaviourFile)) {
            try (var in = Files.newBufferedReader(behaviourFile)) {
                behaviour.load(in);
            }
        }
        if (Boolean.parseBoolean(behaviour.getProperty("crash", "false"))) {
            System.err.println(mode + " stand-in: crashing");
            System.exit(134);
        }
        long started = System.currentTimeMillis();
        long hangAfter = Long.parseLong(behaviour.getProperty("hang-after-ms", "-1"));
        CountDownLatch never = new CountDownLatch(1);
        HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 16);
        List<String> routes = switch (mode) {
            case "mindie" -> List.of("/health", "/v2/health/ready", "/v1/models");
            default -> List.of("/health", "/v1/models");
        };
        for (String route : routes) {
            server.createContext(route, exchange -> {
                if (hangAfter >= 0 && System.currentTimeMillis() - started >= hangAfter) {
                    try {
                        never.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return;
                }
                byte[] body = (route.equals("/v1/models") ? "{\"object\":\"list\",\"data\":[]}" : "")
                        .getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(200, body.length == 0 ? -1 : body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            });
        }
        Path streamRelease = record.resolve("release-stream");
        server.createContext("/v1/chat/completions", exchange -> {
            // server-sent events in two parts: the second only once the test has seen the first and says so
            exchange.getResponseHeaders().add("Content-Type", "text/event-stream");
            exchange.sendResponseHeaders(200, 0);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write("data: {\"part\":1}\n\n".getBytes(StandardCharsets.UTF_8));
                out.flush();
                long until = System.currentTimeMillis() + 20_000;
                while (!Files.exists(streamRelease) && System.currentTimeMillis() < until) {
                    try {
                        Thread.sleep(10);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
                out.write("data: {\"part\":2}\n\ndata: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
            }
        });
        server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        server.start();
        System.out.println(mode + " stand-in: listening on " + host + ":" + port);
        System.out.flush();
        String exitCode = behaviour.getProperty("exit-code");
        if (exitCode != null) {
            Thread.sleep(Long.parseLong(behaviour.getProperty("exit-after-ms", "0")));
            System.exit(Integer.parseInt(exitCode));
        }
        never.await();
    }

    private static Map<String, String> parse(List<String> args, Set<String> valued, Set<String> switches) {
        Map<String, String> flags = new TreeMap<>();
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (valued.contains(arg) && i + 1 < args.size()) {
                flags.put(arg, args.get(++i));
            } else if (switches.contains(arg)) {
                flags.put(arg, "true");
            } else {
                usage("error: unrecognized arguments: " + arg);
            }
        }
        return flags;
    }

    private static void joinRayCluster(Map<String, String> flags, Path record) throws Exception {
        int tp = Integer.parseInt(flags.getOrDefault("--tensor-parallel-size", flags.getOrDefault("-tp", "1")));
        int pp = Integer.parseInt(flags.getOrDefault("--pipeline-parallel-size", flags.getOrDefault("-pp", "1")));
        String executor = flags.get("--distributed-executor-backend");
        if (executor != null && !Set.of("ray", "mp", "uni", "external_launcher").contains(executor)) {
            usage("error: argument --distributed-executor-backend: invalid choice: '" + executor + "'");
        }
        if (!"ray".equals(executor)) {
            if (pp > 1) {
                usage("vllm stand-in: pipeline parallel size " + pp + " needs --distributed-executor-backend ray");
            }
            return;
        }
        String address = System.getenv("RAY_ADDRESS");
        if (address == null || address.isBlank()) {
            System.err.println("vllm stand-in: RAY_ADDRESS is not set; this stand-in joins only an existing cluster");
            System.exit(1);
        }
        Properties behaviour = new Properties();
        Path behaviourFile = record.resolve("behaviour.properties");
        if (Files.isRegularFile(behaviourFile)) {
            try (var in = Files.newBufferedReader(behaviourFile)) {
                behaviour.load(in);
            }
        }
        long deadline = System.currentTimeMillis() + Long.parseLong(behaviour.getProperty("ray-wait-ms", "20000"));
        int colon = address.lastIndexOf(':');
        String host = address.substring(0, colon);
        int gcs = Integer.parseInt(address.substring(colon + 1));
        int needed = tp * pp;
        int have = -1;
        while (System.currentTimeMillis() < deadline) {
            try (java.net.Socket socket = new java.net.Socket()) {
                socket.connect(new InetSocketAddress(host, gcs), 1_000);
                socket.getOutputStream().write("GPUS\n".getBytes(StandardCharsets.UTF_8));
                socket.getOutputStream().flush();
                String line = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(),
                        StandardCharsets.UTF_8)).readLine();
                have = line == null ? -1 : Integer.parseInt(line.trim());
            } catch (java.io.IOException e) {
                have = -1;
            }
            if (have >= needed) {
                System.out.println("vllm stand-in: the Ray cluster at " + address + " has " + have + " GPU(s), "
                        + needed + " needed (tensor parallel " + tp + " x pipeline parallel " + pp + ")");
                System.out.flush();
                return;
            }
            Thread.sleep(100);
        }
        System.err.println("vllm stand-in: the placement group was not ready: " + needed + " GPU(s) needed, the Ray "
                + "cluster at " + address + (have < 0 ? " does not answer" : " has " + have));
        System.exit(1);
    }

    private static void joinMindieCluster(String config, Path record) throws Exception {
        String tablePath = System.getenv("RANKTABLEFILE");
        if (tablePath == null || !tablePath.equals(System.getenv("RANK_TABLE_FILE"))) {
            fail("RANKTABLEFILE and RANK_TABLE_FILE must name the rank table");
        }
        String table = Files.readString(Path.of(tablePath));
        Files.writeString(record.resolve("ranktable.json"), table);
        List<String> servers = all(table, "\"container_ip\"\\s*:\\s*\"([^\"]+)\"");
        int devices = all(table, "\"rank_id\"\\s*:\\s*\"(\\d+)\"").size();
        if (all(table, "\"device_ip\"\\s*:\\s*\"([^\"]+)\"").size() != devices) {
            fail("a device of the rank table has no device_ip");
        }
        if (!String.valueOf(devices).equals(System.getenv("WORLD_SIZE"))) {
            fail("WORLD_SIZE " + System.getenv("WORLD_SIZE") + " is not the rank table's " + devices + " devices");
        }
        String me = System.getenv("MIES_CONTAINER_IP");
        if (me == null || !servers.contains(me)) {
            fail("MIES_CONTAINER_IP " + me + " is none of the rank table's servers " + servers);
        }
        int port = Integer.parseInt(find(config, "\"multiNodesInferPort\"\\s*:\\s*(\\d+)"));
        Properties behaviour = new Properties();
        Path behaviourFile = record.resolve("behaviour.properties");
        if (Files.isRegularFile(behaviourFile)) {
            try (var in = Files.newBufferedReader(behaviourFile)) {
                behaviour.load(in);
            }
        }
        long deadline = System.currentTimeMillis()
                + Long.parseLong(behaviour.getProperty("cluster-wait-ms", "20000"));
        String master = servers.get(0);
        if (me.equals(master)) {
            java.net.ServerSocket listener = new java.net.ServerSocket();
            listener.bind(new InetSocketAddress(me, port));
            java.util.Set<String> joined = new java.util.TreeSet<>();
            while (joined.size() < servers.size() - 1) {
                int left = (int) (deadline - System.currentTimeMillis());
                if (left <= 0) {
                    fail("mindie stand-in: nodes " + servers.subList(1, servers.size()) + " were to join on " + me
                            + ":" + port + "; only " + joined + " did");
                }
                listener.setSoTimeout(left);
                java.net.Socket peer;
                try {
                    peer = listener.accept();
                } catch (java.net.SocketTimeoutException e) {
                    continue;
                }
                String line = new java.io.BufferedReader(new java.io.InputStreamReader(peer.getInputStream(),
                        StandardCharsets.UTF_8)).readLine();
                if (line != null && line.startsWith("JOIN ")) {
                    String who = line.substring(5).trim();
                    joined.add(who);
                    System.out.println("mindie stand-in: node " + who + " joined");
                    watch(peer, "node " + who + " left the cluster");
                }
            }
        } else {
            java.net.Socket socket = null;
            while (socket == null) {
                try {
                    socket = new java.net.Socket();
                    socket.connect(new InetSocketAddress(master, port), 1_000);
                } catch (java.io.IOException e) {
                    socket = null;
                    if (System.currentTimeMillis() > deadline) {
                        fail("mindie stand-in: the master node " + master + ":" + port + " does not answer");
                    }
                    Thread.sleep(100);
                }
            }
            socket.getOutputStream().write(("JOIN " + me + "\n").getBytes(StandardCharsets.UTF_8));
            socket.getOutputStream().flush();
            System.out.println("mindie stand-in: joined the master node " + master + ":" + port);
            watch(socket, "the master node " + master + " went away");
        }
        System.out.flush();
    }

    /** Exits 1 with {@code why} when the peer at the other end of {@code socket} goes away. */
    private static void watch(java.net.Socket socket, String why) {
        Thread watcher = new Thread(() -> {
            try {
                while (socket.getInputStream().read() >= 0) {
                    // peers send nothing after joining
                }
            } catch (java.io.IOException e) {
                // gone as well
            }
            System.err.println("mindie stand-in: " + why);
            System.exit(1);
        });
        watcher.setDaemon(true);
        watcher.start();
    }

    private static List<String> all(String text, String regex) {
        List<String> found = new ArrayList<>();
        Matcher m = Pattern.compile(regex).matcher(text);
        while (m.find()) {
            found.add(m.group(1));
        }
        return found;
    }

    private static void fail(String message) {
        System.err.println(message);
        System.exit(1);
    }

    private static String find(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        if (!m.find()) {
            usage("config has no " + regex);
        }
        return m.group(1);
    }

    private static void usage(String message) {
        System.err.println(message);
        System.exit(2);
    }
}
