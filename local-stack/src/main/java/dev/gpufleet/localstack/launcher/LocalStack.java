package dev.gpufleet.localstack.launcher;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import static dev.gpufleet.localstack.FreePorts.isFree;

/**
 * The embedded default: a real Kafka broker and a real PostgreSQL, then model-registry, scheduler-service, gateway
 * and one worker agent, each its own process, with data under one directory that the next start reuses.
 */
public final class LocalStack implements AutoCloseable {
    static final String DATABASE = "gpufleet";
    static final String DATABASE_USER = "gpufleet";
    private static final Duration STOP_GRACE = Duration.ofSeconds(15);

    /**
     * @param root     the checkout: where {@code <module>/target/quarkus-app/quarkus-run.jar},
     *                 {@code local-stack/target/lib} and {@code llamacpp-server/target/llamacpp-server.jar} are
     * @param dataDir  everything the stack keeps
     * @param extraEnv given to every service; their settings are namespaced ({@code GPUFLEET_WORKER_*},
     *                 {@code GPUFLEET_SCHEDULER_*}), so each takes what is its own
     */
    public record Options(Path root, Path dataDir, int gatewayPort, int registryPort, int schedulerPort,
                          int workerPort, Duration readyTimeout, Map<String, String> extraEnv) {
    }

    /** One started component, for the summary table. */
    public record Component(String name, long pid, String url, Path log) {
    }

    private final Options options;
    private final StackSettings settings;
    /** Held while this stack runs: no second launcher takes the same data dir's processes for leftovers. */
    private final DataDirLock lock;
    private final List<ManagedProcess> started = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile boolean closing;

    private LocalStack(Options options, StackSettings settings, DataDirLock lock) {
        this.options = options;
        this.settings = settings;
        this.lock = lock;
    }

    public static LocalStack start(Options options, PrintStream out) {
        Path dataDir = options.dataDir().toAbsolutePath().normalize();
        Options o = new Options(options.root().toAbsolutePath().normalize(), dataDir, options.gatewayPort(),
                options.registryPort(), options.schedulerPort(), options.workerPort(), options.readyTimeout(),
                options.extraEnv());
        DataDirLock lock = DataDirLock.acquire(dataDir);
        LocalStack stack;
        try {
            Leftovers.stopAll(dataDir, out);
            stack = new LocalStack(o, StackSettings.loadOrCreate(dataDir), lock);
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
        try {
            stack.startAll(out);
            return stack;
        } catch (RuntimeException e) {
            stack.close();
            throw e;
        }
    }

    public String gatewayUrl() {
        return "http://127.0.0.1:" + options.gatewayPort();
    }

    public String registryUrl() {
        return "http://127.0.0.1:" + options.registryPort();
    }

    public String schedulerUrl() {
        return "http://127.0.0.1:" + options.schedulerPort();
    }

    public String kafkaBootstrapServers() {
        return "127.0.0.1:" + settings.kafkaPort();
    }

    public String clusterToken() {
        return settings.clusterToken();
    }

    public Path clusterTokenFile() {
        return options.dataDir().resolve("cluster-token");
    }

    public List<Component> components() {
        return started.stream().map(p -> new Component(p.name(), p.pid(), p.url(), p.log())).toList();
    }

    /** Names of components whose process has ended although the stack was not stopped. */
    public List<String> deadComponents() {
        if (closing) {
            return List.of();
        }
        return started.stream().filter(p -> !p.isAlive()).map(ManagedProcess::name).toList();
    }

    public String logTail(String component, int lines) {
        return started.stream().filter(p -> p.name().equals(component)).findFirst()
                .map(p -> p.tail(lines)).orElse("");
    }

    private void startAll(PrintStream out) {
        checkPortsFree();
        Path logs = options.dataDir().resolve("logs");
        Path run = options.dataDir().resolve("run");
        List<String> infraJava = javaCommand("-Xmx512m", "-XX:+UseSerialGC");
        String classpath = localStackClasspath();

        out.println("Starting Kafka and PostgreSQL ...");
        List<String> kafkaCmd = new ArrayList<>(infraJava);
        kafkaCmd.addAll(List.of("-cp", classpath, KafkaMain.class.getName(),
                options.dataDir().resolve("kafka").toString(), Integer.toString(settings.kafkaPort()),
                Integer.toString(settings.kafkaControllerPort())));
        ManagedProcess kafka = track(ManagedProcess.start("kafka", kafkaCmd, Map.of(), options.root(), logs, run,
                kafkaBootstrapServers()));

        List<String> pgCmd = new ArrayList<>(infraJava);
        pgCmd.addAll(List.of("-cp", classpath, PostgresMain.class.getName(),
                options.dataDir().resolve("postgres").toString(), Integer.toString(settings.postgresPort()), DATABASE,
                DATABASE_USER));
        ManagedProcess postgres = track(ManagedProcess.start("postgres", pgCmd,
                Map.of(PostgresMain.PASSWORD_ENV, settings.databasePassword()), options.root(), logs, run,
                "postgresql://127.0.0.1:" + settings.postgresPort() + "/" + DATABASE));

        inParallel(
                () -> kafka.awaitLogLine(KafkaMain.READY, options.readyTimeout()),
                () -> postgres.awaitLogLine(PostgresMain.READY, options.readyTimeout()));

        out.println("Starting model-registry, scheduler-service, gateway and worker-agent ...");
        List<ManagedProcess> services = List.of(
                service("model-registry", options.registryPort(), registryEnv(), logs, run),
                service("scheduler-service", options.schedulerPort(), databaseEnv(), logs, run),
                service("gateway", options.gatewayPort(), gatewayEnv(), logs, run),
                service("worker-agent", options.workerPort(), workerEnv(), logs, run));
        inParallel(services.stream().<Runnable>map(s -> () -> s.awaitHttpOk(s.url() + "/q/health/ready",
                options.readyTimeout())).toArray(Runnable[]::new));
    }

    private ManagedProcess service(String module, int port, Map<String, String> serviceEnv, Path logs, Path run) {
        Path jar = options.root().resolve(module).resolve("target/quarkus-app/quarkus-run.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: build first with ./mvnw -B -ntp package -DskipTests"
                    + " (./gpufleet up does this for you)");
        }
        Map<String, String> env = new HashMap<>(options.extraEnv());
        env.putAll(serviceEnv);
        env.put("QUARKUS_HTTP_PORT", Integer.toString(port));
        env.put("QUARKUS_HTTP_HOST", "127.0.0.1");
        env.put("KAFKA_BOOTSTRAP_SERVERS", kafkaBootstrapServers());
        env.put("GPUFLEET_CLUSTER_TOKEN", settings.clusterToken());
        List<String> cmd = new ArrayList<>(javaCommand(javaOptions(module)));
        cmd.addAll(List.of("-jar", jar.toString()));
        return track(ManagedProcess.start(module, cmd, env, options.root(), logs, run, "http://127.0.0.1:" + port));
    }

    private Map<String, String> databaseEnv() {
        String hostPort = "127.0.0.1:" + settings.postgresPort() + "/" + DATABASE;
        return Map.of(
                "QUARKUS_DATASOURCE_REACTIVE_URL", "postgresql://" + hostPort,
                "QUARKUS_DATASOURCE_JDBC_URL", "jdbc:postgresql://" + hostPort,
                "QUARKUS_DATASOURCE_USERNAME", DATABASE_USER,
                "QUARKUS_DATASOURCE_PASSWORD", settings.databasePassword());
    }

    private Map<String, String> gatewayEnv() {
        Map<String, String> env = new HashMap<>(databaseEnv());
        // the first start writes the admin user's API key here
        env.put("GPUFLEET_GATEWAY_DATA_DIR", gatewayDataDir().toString());
        // the admin API (/api/v1/**) is forwarded to the owning service
        env.put("GPUFLEET_GATEWAY_REGISTRY_URL", registryUrl());
        env.put("GPUFLEET_GATEWAY_SCHEDULER_URL", schedulerUrl());
        return env;
    }

    private Path gatewayDataDir() {
        return options.dataDir().resolve("gateway");
    }

    /** Written by the gateway on its first start (mode 600): the API key of user {@code admin}. */
    public Path adminKeyFile() {
        return gatewayDataDir().resolve("admin-api-key");
    }

    private Map<String, String> registryEnv() {
        Map<String, String> env = new HashMap<>(databaseEnv());
        env.put("GPUFLEET_REGISTRY_SCHEDULER_URL", "http://127.0.0.1:" + options.schedulerPort());
        return env;
    }

    /** The gateway forwards the admin API to the registry and the scheduler. */
    private Map<String, String> workerEnv() {
        Map<String, String> env = new HashMap<>();
        env.put("GPUFLEET_WORKER_DATA_DIR", options.dataDir().resolve("worker").toString());
        // everything stays on this machine: backends listen on loopback, and the gateway reaches them there
        env.put("GPUFLEET_WORKER_ADDRESS", "127.0.0.1");
        env.put("GPUFLEET_WORKER_BACKEND_HOST", "127.0.0.1");
        Path llamacppServer = options.root().resolve("llamacpp-server/target/llamacpp-server.jar");
        if (Files.isRegularFile(llamacppServer)) {
            env.put("GPUFLEET_WORKER_LLAMACPP_SERVER_JAR", llamacppServer.toString());
        }
        // the caller's own settings win over these defaults
        options.extraEnv().forEach((k, v) -> {
            if (k.startsWith("GPUFLEET_WORKER_")) {
                env.put(k, v);
            }
        });
        return env;
    }

    /**
     * The worker-agent's JVM options (also bench/agent's default): it runs on every GPU host beside the backends, so it
     * is kept small (goal: at most 120 MB RSS). Its live heap is about 15 MB; a small young generation keeps the
     * pages the collector touches few, and the code cache and metaspace are capped well above what it uses. C1 compiles
     * a method after 5 times the usual calls (less code for an agent that idles), and freed malloc memory goes back to
     * the OS every 30 s (TrimNativeHeapInterval: JDK 17.0.9 or later). What each saved: bench/README.md, agent.
     */
    public static final List<String> WORKER_AGENT_JAVA_OPTIONS = List.of("-Xms8m", "-Xmx64m", "-Xmn4m",
            "-XX:MinHeapFreeRatio=10", "-XX:MaxHeapFreeRatio=20", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
            "-XX:CICompilerCount=1", "-XX:Tier3InvocationThreshold=1000", "-XX:Tier3MinInvocationThreshold=500",
            "-XX:Tier3CompileThreshold=10000", "-XX:Tier3BackEdgeThreshold=300000", "-XX:ReservedCodeCacheSize=16m",
            "-XX:MaxMetaspaceSize=80m", "-Xss512k", "-XX:TrimNativeHeapInterval=30000");

    /** The agent's options for the JVM that runs it (the launcher's own): a JDK before 17.0.9 has no heap trimming. */
    public static List<String> workerAgentJavaOptions(Runtime.Version jvm) {
        boolean trims = jvm.compareToIgnoreOptional(Runtime.Version.parse("17.0.9")) >= 0;
        return WORKER_AGENT_JAVA_OPTIONS.stream()
                .filter(option -> trims || !option.startsWith("-XX:TrimNativeHeapInterval"))
                .toList();
    }

    /**
     * Small heaps and a serial collector: five JVMs share a 2-core laptop; GPUFLEET_JAVA_OPTS overrides (for every
     * service, the worker-agent included).
     */
    private static String[] javaOptions(String module) {
        String custom = System.getenv("GPUFLEET_JAVA_OPTS");
        if (custom != null && !custom.isBlank()) {
            return custom.trim().split("\\s+");
        }
        if (module.equals("worker-agent")) {
            return workerAgentJavaOptions(Runtime.version()).toArray(String[]::new);
        }
        return new String[]{"-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"};
    }

    private List<String> javaCommand(String... jvmOptions) {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        cmd.addAll(List.of(jvmOptions));
        // marks the process as this stack's, so a later start can find and stop leftovers of a killed launcher
        cmd.add(Leftovers.STACK_MARKER + options.dataDir());
        return cmd;
    }

    private String localStackClasspath() {
        Path target = options.root().resolve("local-stack/target");
        try (DirectoryStream<Path> jars = Files.newDirectoryStream(target, "local-stack-*.jar")) {
            for (Path jar : jars) {
                if (!jar.getFileName().toString().contains("-sources")) {
                    return jar + java.io.File.pathSeparator + target.resolve("lib") + java.io.File.separator + "*";
                }
            }
        } catch (IOException e) {
            // fall through to the message below
        }
        throw new IllegalStateException("local-stack/target/local-stack-*.jar is missing: build first");
    }

    private void checkPortsFree() {
        Map<String, Integer> ports = Map.of("gateway", options.gatewayPort(), "model-registry", options.registryPort(),
                "scheduler-service", options.schedulerPort(), "worker-agent", options.workerPort(),
                "kafka", settings.kafkaPort(), "kafka controller", settings.kafkaControllerPort(),
                "postgres", settings.postgresPort());
        List<String> taken = ports.entrySet().stream().filter(e -> !isFree(e.getValue()))
                .map(e -> e.getKey() + " port " + e.getValue()).sorted().toList();
        if (!taken.isEmpty()) {
            throw new IllegalStateException("Ports in use: " + String.join(", ", taken)
                    + ". Is another gpufleet running? Service ports are set with GPUFLEET_GATEWAY_PORT, "
                    + "GPUFLEET_REGISTRY_PORT, GPUFLEET_SCHEDULER_PORT, GPUFLEET_WORKER_PORT; Kafka and PostgreSQL "
                    + "keep the ports in " + options.dataDir().resolve("stack.properties") + ".");
        }
    }

    private ManagedProcess track(ManagedProcess p) {
        started.add(p);
        return p;
    }

    private static void inParallel(Runnable... waits) {
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (Runnable w : waits) {
            all.add(CompletableFuture.runAsync(w));
        }
        try {
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException re ? re : e;
        }
    }

    /** Stops services first (so they can flush), then PostgreSQL and Kafka. */
    @Override
    public void close() {
        closing = true;
        List<ManagedProcess> reverse = new ArrayList<>(started);
        java.util.Collections.reverse(reverse);
        List<ManagedProcess> services = reverse.stream()
                .filter(p -> !p.name().equals("kafka") && !p.name().equals("postgres")).toList();
        inParallel(services.stream().<Runnable>map(p -> () -> p.stop(STOP_GRACE)).toArray(Runnable[]::new));
        reverse.stream().filter(p -> !services.contains(p)).forEach(p -> p.stop(STOP_GRACE));
        started.clear();
        lock.close();
    }
}
