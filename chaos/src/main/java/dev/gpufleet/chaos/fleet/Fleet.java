package dev.gpufleet.chaos.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gpufleet.chaos.ChaosSettings;
import dev.gpufleet.demomodel.DemoModel;
import dev.gpufleet.demomodel.Preset;
import dev.gpufleet.localstack.FreePorts;
import dev.gpufleet.localstack.launcher.KafkaMain;
import dev.gpufleet.localstack.launcher.LocalStack;
import dev.gpufleet.localstack.launcher.PostgresMain;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * A whole fleet of real processes started from the packaged jars the way {@code ./gpufleet up} starts them: Kafka
 * and PostgreSQL (local-stack's {@code KafkaMain} and {@code PostgresMain}), model-registry, two scheduler-services
 * (each reaching PostgreSQL through a {@link TcpProxy} that can cut it off), two gateways, and worker agents each in
 * a network namespace of its own ({@link Network}; in the root namespace where namespaces are not available). Two
 * models run on it: {@value #DEMO} on real llama.cpp and {@value #STAND_IN} on {@link dev.gpufleet.chaos.standin
 * stand-in backends}; the agents' llama-box is a script that picks one by the model's environment.
 *
 * <p>Everything it starts carries a marker on its command line; {@link #close()}, a shutdown hook and the next run's
 * start remove it all, namespaces and bridge included.
 */
public final class Fleet implements AutoCloseable {
    public static final String DEMO = "demo";
    public static final String STAND_IN = "standin";
    /** Gateways in the fleet, both serving every model. */
    static final int GATEWAYS = 2;
    public static final String SCHEDULER_GROUP = "scheduler-service";
    static final String DATABASE = "gpufleet";
    static final String DATABASE_USER = "gpufleet";
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(300);
    private static final Duration STOP_GRACE = Duration.ofSeconds(10);
    private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(15);

    /** One service process and where it listens. */
    public record Service(String name, int port, FleetProcess process) {
        public String url() {
            return "http://127.0.0.1:" + port;
        }
    }

    /** One worker agent: its namespace (from 1), address and process. */
    public record Agent(int index, String name, String address, int port, Path dataDir, FleetProcess process) {
        public String url() {
            return "http://" + address + ":" + port;
        }
    }

    /** A model the suite registered and the replicas it last asked for. */
    public static final class Model {
        public final String name;
        public final String id;
        final ObjectNode spec;

        Model(String name, String id, ObjectNode spec) {
            this.name = name;
            this.id = id;
            this.spec = spec;
        }

        public int replicas() {
            return spec.get("replicas").asInt();
        }
    }

    private final ChaosSettings settings;
    private final Path root;
    private final Path runDir;
    private final Path logs;
    private final PrintStream out;
    private final Network network;
    private final String kafkaHost;
    private final int kafkaPort = FreePorts.pick();
    private final int kafkaControllerPort = FreePorts.pick();
    private final int postgresPort = FreePorts.pick();
    private final String databasePassword = secret();
    private final String clusterToken = secret();
    private final String backendKeySecret = secret();
    private final String metricsToken = secret();
    /** The first admin's API key, given to the gateways so that either may be the first to start. */
    private final String adminKey = "gpf_" + hex(8) + "_" + hex(32);
    private final List<FleetProcess> started = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final List<Service> schedulers = new ArrayList<>();
    private final List<TcpProxy> schedulerDatabaseLinks = new ArrayList<>();
    private final List<Service> gateways = new ArrayList<>();
    private final List<Agent> agents = new ArrayList<>();
    private final Map<String, Model> models = new LinkedHashMap<>();
    private final Thread shutdownHook;
    private FleetProcess kafka;
    private FleetProcess postgres;
    private Service registry;
    private Path llamaBox;
    private String apiKey;
    private String userId;
    private volatile boolean closed;

    private Fleet(ChaosSettings settings, Path root, Path runDir, Network network, PrintStream out) {
        this.settings = settings;
        this.root = root;
        this.runDir = runDir;
        this.logs = runDir.resolve("logs");
        this.network = network;
        this.out = out;
        this.kafkaHost = network == null ? "127.0.0.1" : network.hostAddress();
        this.shutdownHook = new Thread(this::close, "chaos-fleet-cleanup");
    }

    /**
     * Removes what an earlier run left, starts everything and waits until both models run and answer.
     *
     * @param root      the checkout (where each module's {@code target/} is)
     * @param chaosRoot where runs keep their data and logs; earlier runs' directories are removed
     */
    public static Fleet start(ChaosSettings settings, Path root, Path chaosRoot, boolean namespaces, PrintStream out) {
        Path chaos = chaosRoot.toAbsolutePath().normalize();
        List<String> removed = Leftovers.remove(chaos, namespaces);
        removed.forEach(r -> out.println("  removed a leftover of an earlier run: " + r));
        Path runDir = chaos.resolve("run-" + System.currentTimeMillis());
        try {
            deleteEarlierRuns(chaos);
            Files.createDirectories(runDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare " + runDir, e);
        }
        Network network = namespaces ? Network.create(settings.subnet()) : null;
        Fleet fleet = new Fleet(settings, root.toAbsolutePath().normalize(), runDir, network, out);
        Runtime.getRuntime().addShutdownHook(fleet.shutdownHook);
        try {
            fleet.startAll();
            return fleet;
        } catch (RuntimeException | Error e) {
            fleet.close();
            throw e;
        }
    }

    private void startAll() {
        long t0 = System.nanoTime();
        out.println("Starting the fleet in " + runDir + (network == null ? " (all in the root network namespace)"
                : " (workers in network namespaces " + Network.namespace(1) + "..; bridge " + network.hostAddress()
                + ")"));
        requireBuilt();
        for (int n = 1; n <= settings.workers(); n++) {
            if (network != null) {
                network.addWorker(n);
            }
        }
        kafka = track(FleetProcess.start("kafka", kafkaCommand(), Map.of(), runDir, logs));
        postgres = track(FleetProcess.start("postgres", postgresCommand(),
                Map.of(PostgresMain.PASSWORD_ENV, databasePassword), runDir, logs));
        inParallel(() -> awaitLog(kafka, KafkaMain.READY), () -> awaitLog(postgres, PostgresMain.READY));
        // as many partitions as the Kubernetes manifests give them, so both schedulers consume a share of each
        events().growPartitions(settings.topicPartitions());

        for (String name : List.of("scheduler-a", "scheduler-b")) {
            schedulerDatabaseLinks.add(TcpProxy.start(name + "-postgres", "127.0.0.1", postgresPort));
        }
        for (int i = 0; i < 2; i++) {
            schedulers.add(service("scheduler-service", i == 0 ? "scheduler-a" : "scheduler-b", schedulerEnv(i)));
        }
        registry = service("model-registry", "model-registry", registryEnv());
        for (int i = 0; i < GATEWAYS; i++) {
            gateways.add(service("gateway", "gateway-" + (i + 1), gatewayEnv(i)));
        }
        llamaBox = writeLlamaBox();
        for (int n = 1; n <= settings.workers(); n++) {
            agents.add(agent(n));
        }
        List<Runnable> waits = new ArrayList<>();
        Stream.concat(Stream.concat(Stream.of(registry), schedulers.stream()), gateways.stream())
                .forEach(s -> waits.add(() -> awaitReady(s.process(), s.url())));
        agents.forEach(a -> waits.add(() -> awaitReady(a.process(), a.url())));
        inParallel(waits.toArray(Runnable[]::new));
        out.printf("  %d processes ready after %.0f s%n", started.size(), (System.nanoTime() - t0) / 1e9);

        createClient();
        registerModels();
        awaitSettled(READY_TIMEOUT, "the models to run after the start");
        out.printf("  fleet settled after %.0f s: %s%n", (System.nanoTime() - t0) / 1e9, describe());
    }

    // ---- accessors -------------------------------------------------------------------------------------------

    public ChaosSettings settings() {
        return settings;
    }

    public Path runDir() {
        return runDir;
    }

    public boolean namespaces() {
        return network != null;
    }

    public Network network() {
        return network;
    }

    public String clusterToken() {
        return clusterToken;
    }

    /** The key the client load uses (a user's, not the cluster token). */
    public String apiKey() {
        return apiKey;
    }

    public List<Service> schedulers() {
        return schedulers;
    }

    public List<Service> gateways() {
        return gateways;
    }

    public List<String> gatewayUrls() {
        return gateways.stream().map(Service::url).toList();
    }

    public List<Agent> agents() {
        return agents;
    }

    public Service registry() {
        return registry;
    }

    public FleetProcess kafka() {
        return kafka;
    }

    public FleetProcess postgres() {
        return postgres;
    }

    public TcpProxy databaseLink(int scheduler) {
        return schedulerDatabaseLinks.get(scheduler);
    }

    public Model model(String name) {
        return models.get(name);
    }

    public List<Model> models() {
        return List.copyOf(models.values());
    }

    public EventLog events() {
        return new EventLog(kafkaHost + ":" + kafkaPort);
    }

    public List<BackendProcess> backends() {
        Map<Path, String> addresses = new java.util.HashMap<>();
        agents().forEach(agent -> addresses.put(agent.dataDir(), agent.address()));
        return Backends.scan(runDir.toString(), addresses);
    }

    // ---- faults' levers ---------------------------------------------------------------------------------------

    /** Stops Kafka (TERM: the broker shuts down cleanly) and waits until it is gone. */
    public void stopKafka() {
        kafka.stop(Duration.ofSeconds(30));
    }

    /** Starts Kafka again on its data and ports and waits until it serves. */
    public void startKafka() {
        kafka.start();
        awaitLog(kafka, KafkaMain.READY, countLines(kafka.logText(), KafkaMain.READY));
    }

    /** PostgreSQL's server processes: the postmaster (from its pid file) and its children. */
    public List<ProcessHandle> postgresServer() {
        Path pidFile = runDir.resolve("postgres").resolve("postmaster.pid");
        try {
            long pid = Long.parseLong(Files.readAllLines(pidFile).get(0).trim());
            Optional<ProcessHandle> postmaster = ProcessHandle.of(pid);
            if (postmaster.isEmpty()) {
                return List.of();
            }
            List<ProcessHandle> all = new ArrayList<>();
            all.add(postmaster.get());
            all.addAll(postmaster.get().children().toList());
            return all;
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }

    /** SIGSTOP to the postmaster and every backend process: open connections are served by the children. */
    public void pausePostgres() {
        postgresServer().forEach(h -> Signals.send("STOP", h.pid()));
    }

    public void resumePostgres() {
        List<ProcessHandle> server = postgresServer();
        for (int i = server.size() - 1; i >= 0; i--) {
            Signals.send("CONT", server.get(i).pid());
        }
    }

    /** Stops PostgreSQL cleanly (PostgresMain's shutdown runs pg_ctl stop). */
    public void stopPostgres() {
        postgres.stop(Duration.ofSeconds(60));
    }

    public void startPostgres() {
        postgres.start();
        awaitLog(postgres, PostgresMain.READY, countLines(postgres.logText(), PostgresMain.READY));
    }

    /** Starts a killed service again with its settings, without waiting ({@link #unsettled()} waits for it). */
    public void startAgain(Service service) {
        service.process().start();
    }

    /** Starts a killed service again with its settings and waits until it is ready. */
    public void restart(Service service) {
        service.process().start();
        awaitReady(service.process(), service.url());
    }

    public void restart(Agent agent) {
        agent.process().start();
        awaitReady(agent.process(), agent.url());
    }

    // ---- views ------------------------------------------------------------------------------------------------

    /** Every instance, as a live scheduler lists it; empty when none answers. */
    public List<JsonNode> instances() {
        for (Service s : schedulers) {
            if (!s.process().isAlive()) {
                continue;
            }
            Http.Answer a = Http.get(s.url() + "/api/v1/instances?per_page=100", clusterToken, ADMIN_TIMEOUT);
            if (a.status() == 200) {
                List<JsonNode> items = new ArrayList<>();
                a.json().path("items").forEach(items::add);
                return items;
            }
        }
        return List.of();
    }

    public List<JsonNode> instancesOf(String modelName) {
        String id = models.get(modelName).id;
        return instances().stream().filter(i -> id.equals(text(i, "model_id", "modelId"))).toList();
    }

    public List<JsonNode> workers() {
        for (Service s : schedulers) {
            if (!s.process().isAlive()) {
                continue;
            }
            Http.Answer a = Http.get(s.url() + "/api/v1/workers?per_page=100", clusterToken, ADMIN_TIMEOUT);
            if (a.status() == 200) {
                List<JsonNode> items = new ArrayList<>();
                a.json().path("items").forEach(items::add);
                return items;
            }
        }
        return List.of();
    }

    /** The worker id the scheduler knows the agent by. */
    public Optional<String> workerId(Agent agent) {
        return workers().stream().filter(w -> agent.name().equals(w.path("name").asText()))
                .map(w -> w.path("id").asText()).findFirst();
    }

    /** Each scheduler's answer to "who leads": its role, or why it did not say. */
    public Map<String, String> roles(Duration timeout) {
        Map<String, String> roles = new LinkedHashMap<>();
        rolesAnswered(timeout).forEach((name, answer) -> roles.put(name, answer.role()));
        return roles;
    }

    /** A scheduler's role and when it answered (epoch millis): the role is its view at that moment. */
    public record RoleAnswer(String role, long answeredAt) {
    }

    /**
     * Each scheduler asked at once, each answer with its own time: one that is slow to answer (its database link
     * cut) does not delay when the other's answer counts.
     */
    public Map<String, RoleAnswer> rolesAnswered(Duration timeout) {
        List<CompletableFuture<Void>> asks = new ArrayList<>();
        Map<String, RoleAnswer> answers = new java.util.concurrent.ConcurrentHashMap<>();
        for (Service s : schedulers) {
            asks.add(CompletableFuture.runAsync(() -> {
                if (!s.process().isAlive()) {
                    answers.put(s.name(), new RoleAnswer("dead", System.currentTimeMillis()));
                    return;
                }
                Http.Answer a = Http.get(s.url() + "/api/v1/scheduler/leader", clusterToken, timeout);
                String role = a.status() == 200 ? a.json().path("role").asText("?")
                        : a.status() < 0 ? "silent" : "answered " + a.status();
                answers.put(s.name(), new RoleAnswer(role, System.currentTimeMillis()));
            }));
        }
        CompletableFuture.allOf(asks.toArray(CompletableFuture[]::new)).join();
        Map<String, RoleAnswer> ordered = new LinkedHashMap<>();
        schedulers.forEach(s -> ordered.put(s.name(), answers.get(s.name())));
        return ordered;
    }

    public Optional<Service> leader() {
        Map<String, String> roles = roles(Duration.ofSeconds(5));
        return schedulers.stream().filter(s -> "leader".equals(roles.get(s.name()))).findFirst();
    }

    /** Which agent hosts the endpoint ({@code host:port}). */
    public Optional<Agent> agentAt(String endpoint) {
        if (endpoint == null) {
            return Optional.empty();
        }
        for (Agent a : agents) {
            if (network != null ? endpoint.startsWith(a.address() + ":")
                    : portOf(endpoint) >= rootPortRangeStart(a.index())
                    && portOf(endpoint) < rootPortRangeStart(a.index()) + 20) {
                return Optional.of(a);
            }
        }
        return Optional.empty();
    }

    private static int portOf(String endpoint) {
        try {
            return Integer.parseInt(endpoint.substring(endpoint.lastIndexOf(':') + 1));
        } catch (RuntimeException e) {
            return -1;
        }
    }

    /**
     * Why the fleet is not as asked, or an empty list: one leader; every worker READY; each model exactly its
     * replicas, all RUNNING; one backend process per RUNNING instance and none besides; both gateways ready and
     * answering a chat for each model.
     */
    public List<String> unsettled() {
        List<String> problems = new ArrayList<>();
        Map<String, String> roles = roles(Duration.ofSeconds(5));
        long leaders = roles.values().stream().filter("leader"::equals).count();
        boolean allAnswer = roles.values().stream().allMatch(r -> r.equals("leader") || r.equals("follower"));
        if (leaders != 1 || !allAnswer) {
            problems.add("schedulers " + roles);
        }
        List<JsonNode> workers = workers();
        for (Agent a : agents) {
            String state = workers.stream().filter(w -> a.name().equals(w.path("name").asText()))
                    .map(w -> w.path("state").asText()).findFirst().orElse("unknown");
            if (!a.process().isAlive()) {
                problems.add(a.name() + "'s agent is not running");
            } else if (!"READY".equals(state)) {
                problems.add(a.name() + " " + state);
            }
        }
        List<JsonNode> instances = instances();
        List<String> runningEndpoints = new ArrayList<>();
        for (Model m : models.values()) {
            List<String> states = instances.stream().filter(i -> m.id.equals(text(i, "model_id", "modelId")))
                    .map(i -> i.path("state").asText()).sorted().toList();
            if (states.size() != m.replicas() || states.stream().anyMatch(s -> !s.equals("RUNNING"))) {
                problems.add(m.name + " wants " + m.replicas() + " RUNNING, has " + states);
            }
        }
        instances.stream().filter(i -> "RUNNING".equals(i.path("state").asText()))
                .forEach(i -> runningEndpoints.add(i.path("endpoint").asText()));
        Map<String, Long> processes = new HashMap<>();
        backends().forEach(b -> processes.merge(b.endpoint(), 1L, Long::sum));
        for (String endpoint : runningEndpoints) {
            long n = processes.getOrDefault(endpoint, 0L);
            if (n != 1) {
                problems.add(n + " backend processes at " + endpoint);
            }
        }
        processes.keySet().stream().filter(e -> !runningEndpoints.contains(e))
                .forEach(e -> problems.add("a backend at " + e + " that no RUNNING instance has"));
        if (problems.isEmpty()) {
            for (Service g : gateways) {
                Http.Answer ready = Http.get(g.url() + "/q/health/ready", null, Duration.ofSeconds(5));
                if (ready.status() != 200) {
                    problems.add(g.name() + " not ready: " + ready.describe());
                    continue;
                }
                for (Model m : models.values()) {
                    Http.Answer chat = chat(g, m.name);
                    if (chat.status() != 200) {
                        problems.add(g.name() + " " + m.name + ": " + chat.describe());
                    }
                }
            }
        }
        return problems;
    }

    public Http.Answer chat(Service gateway, String model) {
        return Http.post(gateway.url() + "/v1/chat/completions", apiKey, "{\"model\":\"" + model
                + "\",\"messages\":[{\"role\":\"user\",\"content\":\"settled?\"}],\"max_tokens\":4}", ADMIN_TIMEOUT);
    }

    /** Waits until {@link #unsettled()} is empty; fails naming what was still wrong. */
    public Duration awaitSettled(Duration timeout, String what) {
        long t0 = System.nanoTime();
        long deadline = t0 + timeout.toNanos();
        List<String> last = List.of();
        while (System.nanoTime() < deadline) {
            requireInfrastructure();
            last = unsettled();
            if (last.isEmpty()) {
                return Duration.ofNanos(System.nanoTime() - t0);
            }
            sleep(500);
        }
        throw new IllegalStateException("the fleet did not settle within " + timeout.toSeconds() + " s (" + what
                + "): " + String.join("; ", last));
    }

    /** Kafka and PostgreSQL alive (a fault that stops them starts them again before this is asked). */
    private void requireInfrastructure() {
        kafka.requireAlive("while the fleet should run");
        postgres.requireAlive("while the fleet should run");
    }

    /** A short line: workers and where each model's instances run. */
    public String describe() {
        List<JsonNode> instances = instances();
        List<String> parts = new ArrayList<>();
        for (Model m : models.values()) {
            List<String> where = instances.stream().filter(i -> m.id.equals(text(i, "model_id", "modelId")))
                    .map(i -> i.path("worker_name").asText(i.path("workerName").asText("?")) + ":"
                            + i.path("state").asText()).sorted().toList();
            parts.add(m.name + " " + where);
        }
        return String.join(", ", parts);
    }

    // ---- admin changes ----------------------------------------------------------------------------------------

    /** Asks for {@code replicas} of the model through a gateway's admin API; returns the answer. */
    public Http.Answer scale(String modelName, int replicas, Duration timeout) {
        Model m = models.get(modelName);
        ObjectNode spec = m.spec.deepCopy();
        spec.put("replicas", replicas);
        Http.Answer a = Http.put(adminGateway().url() + "/api/v1/models/" + m.id, adminKey, spec.toString(),
                timeout);
        if (a.status() == 200) {
            m.spec.put("replicas", replicas);
        }
        return a;
    }

    /** Creates a new API key for the load's user; returns the secret. */
    public String createApiKey(String name) {
        Http.Answer key = Http.post(adminGateway().url() + "/api/v1/api-keys", adminKey,
                "{\"name\":\"" + name + "\",\"user_id\":\"" + userId + "\"}", ADMIN_TIMEOUT);
        if (key.status() != 201) {
            throw new IllegalStateException("cannot create API key " + name + ": " + key.describe());
        }
        return key.json().path("key").asText();
    }

    /** Tries to create an API key (an admin write on the gateway's own database). */
    public Http.Answer tryCreateApiKey(String name, Duration timeout) {
        return Http.post(adminGateway().url() + "/api/v1/api-keys", adminKey,
                "{\"name\":\"" + name + "\",\"user_id\":\"" + userId + "\"}", timeout);
    }

    /** The id of the API key with this secret's name, as the gateway lists keys. */
    public Optional<String> apiKeyId(String name) {
        Http.Answer keys = Http.get(adminGateway().url() + "/api/v1/api-keys?per_page=100&user_id=" + userId,
                adminKey, ADMIN_TIMEOUT);
        for (JsonNode k : keys.json().path("items")) {
            if (name.equals(k.path("name").asText())) {
                return Optional.of(k.path("id").asText());
            }
        }
        return Optional.empty();
    }

    /** Requests counted for the key, over every model and day, or -1 when the gateway did not answer. */
    public long usageRequests(String keyId) {
        Http.Answer usage = Http.get(adminGateway().url() + "/api/v1/usage?per_page=100&key_id=" + keyId,
                adminKey, ADMIN_TIMEOUT);
        if (usage.status() != 200) {
            return -1;
        }
        long requests = 0;
        for (JsonNode row : usage.json().path("items")) {
            requests += row.path("requests").asLong();
        }
        return requests;
    }

    private Service adminGateway() {
        return gateways.stream().filter(g -> g.process().isAlive()).findFirst().orElse(gateways.get(0));
    }

    private void createClient() {
        Http.Answer user = Http.post(gateways.get(0).url() + "/api/v1/users", adminKey,
                "{\"name\":\"chaos-client\"}", ADMIN_TIMEOUT);
        if (user.status() != 201) {
            throw new IllegalStateException("cannot create the load's user: " + user.describe());
        }
        userId = user.json().path("id").asText();
        apiKey = createApiKey("chaos-load");
    }

    private void registerModels() {
        Path modelsDir = modelsDir();
        Path demoFile = modelsDir.resolve("gpufleet-demo.gguf");
        Path standInFile = modelsDir.resolve("gpufleet-standin.gguf");
        try {
            Files.createDirectories(modelsDir);
            DemoModel.write(Preset.DEMO, DemoModel.DEFAULT_SEED, demoFile);
            DemoModel.write(Preset.TINY, DemoModel.DEFAULT_SEED, standInFile);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the models", e);
        }
        // what ./gpufleet up registers (DemoModelSetup)
        ObjectNode demo = Http.JSON.createObjectNode();
        demo.put("name", DEMO);
        demo.putObject("source").put("type", "local_path").put("path", demoFile.toString());
        demo.put("replicas", 1);
        demo.putArray("backend_parameters").add("--ctx-size=2048");
        register(demo);

        ObjectNode standIn = Http.JSON.createObjectNode();
        standIn.put("name", STAND_IN);
        standIn.putObject("source").put("type", "local_path").put("path", standInFile.toString());
        standIn.put("replicas", settings.standInReplicas());
        ArrayNode params = standIn.putArray("backend_parameters");
        params.add("--parallel=" + settings.standInSlots());
        ObjectNode env = standIn.putObject("env");
        env.put(LlamaBoxScript.BACKEND_ENV, LlamaBoxScript.STAND_IN);
        env.put(dev.gpufleet.chaos.standin.StandInBackend.SERVICE_MS_ENV,
                Long.toString(settings.standInServiceTime().toMillis()));
        register(standIn);
    }

    private void register(ObjectNode spec) {
        Http.Answer created = Http.post(gateways.get(0).url() + "/api/v1/models", adminKey, spec.toString(),
                ADMIN_TIMEOUT);
        if (created.status() != 201) {
            throw new IllegalStateException("cannot register model " + spec.get("name").asText() + ": "
                    + created.describe());
        }
        String name = spec.get("name").asText();
        models.put(name, new Model(name, created.json().path("id").asText(), spec));
    }

    // ---- processes --------------------------------------------------------------------------------------------

    private void requireBuilt() {
        List<Path> needed = new ArrayList<>();
        for (String module : List.of("model-registry", "scheduler-service", "gateway", "worker-agent")) {
            needed.add(root.resolve(module).resolve("target/quarkus-app/quarkus-run.jar"));
        }
        needed.add(root.resolve("llamacpp-server/target/llamacpp-server.jar"));
        List<String> missing = needed.stream().filter(p -> !Files.isRegularFile(p)).map(Path::toString).toList();
        if (!missing.isEmpty()) {
            throw new IllegalStateException("build first (./mvnw -B -ntp package -DskipTests): missing "
                    + String.join(", ", missing));
        }
        localStackClasspath();
    }

    private List<String> kafkaCommand() {
        List<String> cmd = java("-Xmx512m", "-XX:+UseSerialGC");
        cmd.addAll(List.of("-cp", localStackClasspath(), KafkaMain.class.getName(), runDir.resolve("kafka").toString(),
                Integer.toString(kafkaPort), Integer.toString(kafkaControllerPort), kafkaHost));
        return cmd;
    }

    private List<String> postgresCommand() {
        List<String> cmd = java("-Xmx256m", "-XX:+UseSerialGC");
        cmd.addAll(List.of("-cp", localStackClasspath(), PostgresMain.class.getName(),
                runDir.resolve("postgres").toString(), Integer.toString(postgresPort), DATABASE, DATABASE_USER));
        return cmd;
    }

    private Service service(String module, String name, Map<String, String> serviceEnv) {
        int port = FreePorts.pick();
        Map<String, String> env = new HashMap<>(serviceEnv);
        env.put("QUARKUS_HTTP_PORT", Integer.toString(port));
        env.put("QUARKUS_HTTP_HOST", "127.0.0.1");
        env.put("KAFKA_BOOTSTRAP_SERVERS", kafkaHost + ":" + kafkaPort);
        env.put("GPUFLEET_CLUSTER_TOKEN", clusterToken);
        env.put("GPUFLEET_METRICS_TOKEN", metricsToken);
        env.put("QUARKUS_MANAGEMENT_HOST", "127.0.0.1");
        env.put("QUARKUS_MANAGEMENT_PORT", Integer.toString(FreePorts.pick()));
        List<String> cmd = java("-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");
        cmd.addAll(List.of("-jar", root.resolve(module).resolve("target/quarkus-app/quarkus-run.jar").toString()));
        return new Service(name, port, track(FleetProcess.start(name, cmd, env, runDir, logs)));
    }

    private Agent agent(int n) {
        String name = "chaos-w" + n;
        String address = network != null ? network.workerAddress(n) : "127.0.0.1";
        int port = network != null ? 10150 : FreePorts.pick();
        Path dataDir = runDir.resolve("workers").resolve(name);
        Map<String, String> env = new HashMap<>();
        env.put("QUARKUS_HTTP_PORT", Integer.toString(port));
        env.put("QUARKUS_HTTP_HOST", address);
        env.put("KAFKA_BOOTSTRAP_SERVERS", kafkaHost + ":" + kafkaPort);
        env.put("GPUFLEET_CLUSTER_TOKEN", clusterToken);
        env.put("GPUFLEET_BACKEND_KEY_SECRET", backendKeySecret);
        env.put("GPUFLEET_METRICS_TOKEN", metricsToken);
        env.put("QUARKUS_MANAGEMENT_HOST", address);
        env.put("QUARKUS_MANAGEMENT_PORT", Integer.toString(network != null ? 10151 : FreePorts.pick()));
        env.put("GPUFLEET_MODELS_LOCAL_ROOTS", modelsDir().toString());
        env.put("GPUFLEET_WORKER_DATA_DIR", dataDir.toString());
        env.put("GPUFLEET_WORKER_NAME", name);
        env.put("GPUFLEET_WORKER_LABELS", "fleet=chaos");
        env.put("GPUFLEET_WORKER_ADDRESS", address);
        env.put("GPUFLEET_WORKER_BACKEND_HOST", address);
        env.put("GPUFLEET_WORKER_SIMULATED_DEVICES", "nvidia:NVIDIA GeForce RTX 4090:24GiB");
        env.put("GPUFLEET_WORKER_HEARTBEAT_INTERVAL", ChaosSettings.quarkus(settings.heartbeatInterval()));
        env.put("GPUFLEET_WORKER_LIVENESS_INTERVAL", ChaosSettings.quarkus(settings.livenessInterval()));
        env.put("GPUFLEET_WORKER_PROBE_TIMEOUT", ChaosSettings.quarkus(settings.probeTimeout()));
        env.put("GPUFLEET_WORKER_STOP_TIMEOUT", ChaosSettings.quarkus(settings.stopTimeout()));
        env.put("GPUFLEET_WORKER_LLAMA_BOX_COMMAND", llamaBox.toString());
        if (network == null) {
            // one network namespace for all: each agent its own ports
            int from = rootPortRangeStart(n);
            env.put("GPUFLEET_WORKER_PORT_RANGE", from + "-" + (from + 19));
            env.put("GPUFLEET_WORKER_RPC_PORT_RANGE", (from + 300) + "-" + (from + 319));
        }
        List<String> cmd = new ArrayList<>();
        if (network != null) {
            cmd.addAll(Network.inNamespace(n));
        }
        cmd.addAll(java(LocalStack.workerAgentJavaOptions(Runtime.version()).toArray(String[]::new)));
        cmd.addAll(List.of("-jar", root.resolve("worker-agent/target/quarkus-app/quarkus-run.jar").toString()));
        return new Agent(n, name, address, port, dataDir, track(FleetProcess.start(name, cmd, env, runDir, logs)));
    }

    /** Without namespaces the agents share the host's ports: each gets 20 of its own, below the ephemeral range. */
    private static int rootPortRangeStart(int n) {
        return 26400 + 20 * n;
    }

    private Map<String, String> databaseEnv(String host, int port) {
        String hostPort = host + ":" + port + "/" + DATABASE;
        return Map.of(
                "QUARKUS_DATASOURCE_REACTIVE_URL", "postgresql://" + hostPort,
                "QUARKUS_DATASOURCE_JDBC_URL", "jdbc:postgresql://" + hostPort,
                "QUARKUS_DATASOURCE_USERNAME", DATABASE_USER,
                "QUARKUS_DATASOURCE_PASSWORD", databasePassword);
    }

    private Map<String, String> registryEnv() {
        Map<String, String> env = new HashMap<>(databaseEnv("127.0.0.1", postgresPort));
        env.put("GPUFLEET_REGISTRY_SCHEDULER_URL", schedulers.get(0).url());
        env.put("GPUFLEET_MODELS_LOCAL_ROOTS", modelsDir().toString());
        return env;
    }

    private Map<String, String> schedulerEnv(int i) {
        Map<String, String> env = new HashMap<>(databaseEnv("127.0.0.1", schedulerDatabaseLinks.get(i).port()));
        env.put("GPUFLEET_SCHEDULER_INSTANCE_ID", i == 0 ? "scheduler-a" : "scheduler-b");
        env.put("GPUFLEET_SCHEDULER_UNREACHABLE_GRACE", ChaosSettings.quarkus(settings.unreachableGrace()));
        env.put("GPUFLEET_SCHEDULER_WORKER_CHECK_INTERVAL", "1s");
        env.put("GPUFLEET_SCHEDULER_RECONCILE_INTERVAL", "2s");
        env.put("GPUFLEET_SCHEDULER_OUTBOX_POLL_INTERVAL", "1s");
        env.put("GPUFLEET_SCHEDULER_RESTART_BACKOFF_BASE", ChaosSettings.quarkus(settings.restartBackoffBase()));
        return env;
    }

    private Map<String, String> gatewayEnv(int i) {
        Map<String, String> env = new HashMap<>(databaseEnv("127.0.0.1", postgresPort));
        env.put("GPUFLEET_GATEWAY_DATA_DIR", runDir.resolve("gateway-" + (i + 1)).toString());
        env.put("GPUFLEET_GATEWAY_REGISTRY_URL", registry.url());
        env.put("GPUFLEET_GATEWAY_SCHEDULER_URL", schedulers.get(i % schedulers.size()).url());
        env.put("GPUFLEET_GATEWAY_USAGE_FLUSH_INTERVAL", "2s");
        env.put("GPUFLEET_BACKEND_KEY_SECRET", backendKeySecret);
        env.put("GPUFLEET_GATEWAY_ADMIN_API_KEY", adminKey);
        // two gateways send to the same instances: each takes its share of their slots
        env.put("GPUFLEET_GATEWAY_ADMISSION_GATEWAYS", Integer.toString(GATEWAYS));
        env.put("GPUFLEET_GATEWAY_ADMISSION_QUEUE_PER_SLOT", Integer.toString(settings.queuePerSlot()));
        return env;
    }

    private Path writeLlamaBox() {
        return LlamaBoxScript.write(runDir.resolve("bin"), javaBinary(), runDir.toString(),
                root.resolve("llamacpp-server/target/llamacpp-server.jar"));
    }

    private List<String> java(String... options) {
        List<String> cmd = new ArrayList<>();
        cmd.add(javaBinary());
        cmd.addAll(List.of(options));
        cmd.add(Leftovers.MARKER + runDir);
        return cmd;
    }

    static String javaBinary() {
        return ProcessHandle.current().info().command()
                .filter(c -> c.endsWith("/java"))
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    private String localStackClasspath() {
        Path target = root.resolve("local-stack/target");
        try (DirectoryStream<Path> jars = Files.newDirectoryStream(target, "local-stack-*.jar")) {
            for (Path jar : jars) {
                if (!jar.getFileName().toString().contains("-sources")) {
                    return jar + java.io.File.pathSeparator + target.resolve("lib") + java.io.File.separator + "*";
                }
            }
        } catch (IOException e) {
            // the message below
        }
        throw new IllegalStateException(target + "/local-stack-*.jar is missing: build first");
    }

    private FleetProcess track(FleetProcess p) {
        started.add(p);
        return p;
    }

    private void awaitLog(FleetProcess p, String marker) {
        awaitLog(p, marker, 0);
    }

    /** Waits for one more line with the marker than {@code seenBefore} (a restarted process appends to its log). */
    private void awaitLog(FleetProcess p, String marker, int seenBefore) {
        await(p, () -> countLines(p.logText(), marker) > seenBefore, "'" + marker + "' in " + p.log());
    }

    private static int countLines(String text, String marker) {
        int n = 0;
        for (int i = text.indexOf(marker); i >= 0; i = text.indexOf(marker, i + 1)) {
            n++;
        }
        return n;
    }

    private void awaitReady(FleetProcess p, String url) {
        await(p, () -> Http.get(url + "/q/health/ready", null, Duration.ofSeconds(5)).status() == 200,
                "200 from " + url + "/q/health/ready");
    }

    private void await(FleetProcess p, Supplier<Boolean> ready, String what) {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (ready.get()) {
                return;
            }
            p.requireAlive("before it was ready");
            sleep(250);
        }
        throw new IllegalStateException(p.name() + " not ready after " + READY_TIMEOUT.toSeconds() + " s (waited for "
                + what + "). Last lines of " + p.log() + ":\n" + p.tail(40));
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

    /** Stops every process (services first, so they can flush; backends too) and removes the network. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // already shutting down: this is the hook
        }
        resumePostgres();
        schedulerDatabaseLinks.forEach(TcpProxy::heal);
        if (kafka != null) {
            kafka.resume();
        }
        if (network != null) {
            for (Agent a : agents) {
                Commands.run("ip", "link", "set", Network.namespace(a.index()) + "h", "up");
            }
        }
        List<FleetProcess> services = started.stream()
                .filter(p -> p != kafka && p != postgres).toList();
        List<Runnable> stops = new ArrayList<>();
        services.forEach(p -> stops.add(() -> p.stop(STOP_GRACE)));
        try {
            inParallel(stops.toArray(Runnable[]::new));
        } catch (RuntimeException e) {
            out.println("  stopping the services: " + e.getMessage());
        }
        for (BackendProcess b : backends()) {
            Signals.send("CONT", b.pid());
            Signals.send("KILL", b.pid());
        }
        if (postgres != null) {
            postgres.stop(Duration.ofSeconds(30));
        }
        if (kafka != null) {
            kafka.stop(Duration.ofSeconds(30));
        }
        schedulerDatabaseLinks.forEach(TcpProxy::close);
        Leftovers.remove(runDir.getParent(), network != null);
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    public static String text(JsonNode node, String snake, String camel) {
        JsonNode v = node.get(snake);
        if (v == null || v.isNull()) {
            v = node.get(camel);
        }
        return v == null || v.isNull() ? null : v.asText();
    }

    private static void deleteEarlierRuns(Path chaos) throws IOException {
        if (!Files.isDirectory(chaos)) {
            return;
        }
        try (DirectoryStream<Path> runs = Files.newDirectoryStream(chaos, "run-*")) {
            for (Path run : runs) {
                try (Stream<Path> walk = Files.walk(run)) {
                    walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                        try {
                            Files.deleteIfExists(p);
                        } catch (IOException e) {
                            // a file still held: left for the next run
                        }
                    });
                }
            }
        }
    }

    private static String secret() {
        byte[] bytes = new byte[32];
        new SecureRandom().nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private static String hex(int bytes) {
        byte[] random = new byte[bytes];
        new SecureRandom().nextBytes(random);
        StringBuilder hex = new StringBuilder();
        for (byte b : random) {
            hex.append(String.format("%02x", b));
        }
        return hex.toString();
    }

    /** Where the suite's models are: the registry's and the agents' only local root. */
    private Path modelsDir() {
        return runDir.resolve("models");
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
