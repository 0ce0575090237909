package dev.gpufleet.worker.backend;

import dev.gpufleet.events.GpuDevice;
import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.LaunchPlan;
import dev.gpufleet.events.ModelSource;
import dev.gpufleet.events.SubordinateWorker;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Turns a placed instance into a {@link BackendLaunch}: checks the backend, finds the model, picks the binary,
 * builds the environment, the command line and the files the backend reads. Pure: what exists on the host comes
 * in as values and functions.
 */
public final class LaunchPlanner {
    // constants for switch labels; BackendTest checks them against dev.gpufleet.events.Backend
    public static final String LLAMA_BOX = "llama-box";
    public static final String VLLM = "vllm";
    public static final String VOX_BOX = "vox-box";
    public static final String MINDIE = "mindie";
    public static final List<String> BACKENDS = dev.gpufleet.events.Backend.NAMES;
    /** Not a backend: the program multi-worker vLLM needs beside it, chosen like one. */
    public static final String RAY = "ray";
    /** Where per-instance files (MindIE's config, vox-box's data dir) live under the data dir. */
    public static final String INSTANCE_DIR = "instances";

    private LaunchPlanner() {
    }

    /**
     * @param binaries          the program of each backend ({@link #BACKENDS}), chosen when asked
     * @param backendHost       the address the backend listens on
     * @param devices           this worker's GPUs
     * @param readableFile      whether a model path is a regular file this agent can read
     * @param readableDirectory whether a model path is a directory this agent can read
     * @param listDirectory     the file names in a directory (empty when unreadable)
     * @param readText          a small text file's content (a model's config.json)
     * @param freePort          the port to use, asked for only when everything else is in order
     * @param clusterToken      keys the instance API keys ({@link dev.gpufleet.kit.auth.InstanceApiKeys}); null starts backends without
     * @param workerAddress     the address another worker reported, by worker id
     * @param version           what a binary's {@code --version} says (cached by the caller)
     * @param os                {@code linux}, {@code darwin}, {@code windows}
     * @param arch              {@code amd64}, {@code arm64}
     * @param ray               Ray's ports and this worker's address, for vLLM across workers
     * @param mindie            MindIE's inter-node port, for MindIE across workers
     * @param loopbackPort      a free port on 127.0.0.1 for a backend behind the agent's authenticating proxy
     */
    public record Host(Function<String, BinaryChoice> binaries, String backendHost, List<GpuDevice> devices,
                       Predicate<Path> readableFile, Predicate<Path> readableDirectory,
                       Function<Path, List<String>> listDirectory, Function<Path, Optional<String>> readText,
                       Supplier<OptionalInt> freePort, String portRangeProblem, String clusterToken, Path dataDir,
                       PortRange rpcPortRange, Function<String, Optional<String>> workerAddress,
                       Function<List<String>, String> version, String os, String arch, RaySettings ray,
                       MindieSettings mindie, Supplier<OptionalInt> loopbackPort) {

        public Host {
            mindie = mindie == null ? MindieSettings.DEFAULT : mindie;
            loopbackPort = loopbackPort == null ? LocalPorts::freeLoopbackPort : loopbackPort;
        }

        /** Loopback ports for proxied backends from the operating system. */
        public Host(Function<String, BinaryChoice> binaries, String backendHost, List<GpuDevice> devices,
                    Predicate<Path> readableFile, Predicate<Path> readableDirectory,
                    Function<Path, List<String>> listDirectory, Function<Path, Optional<String>> readText,
                    Supplier<OptionalInt> freePort, String portRangeProblem, String clusterToken, Path dataDir,
                    PortRange rpcPortRange, Function<String, Optional<String>> workerAddress,
                    Function<List<String>, String> version, String os, String arch, RaySettings ray,
                    MindieSettings mindie) {
            this(binaries, backendHost, devices, readableFile, readableDirectory, listDirectory, readText, freePort,
                    portRangeProblem, clusterToken, dataDir, rpcPortRange, workerAddress, version, os, arch, ray,
                    mindie, null);
        }

        /** MindIE's default inter-node port. */
        public Host(Function<String, BinaryChoice> binaries, String backendHost, List<GpuDevice> devices,
                    Predicate<Path> readableFile, Predicate<Path> readableDirectory,
                    Function<Path, List<String>> listDirectory, Function<Path, Optional<String>> readText,
                    Supplier<OptionalInt> freePort, String portRangeProblem, String clusterToken, Path dataDir,
                    PortRange rpcPortRange, Function<String, Optional<String>> workerAddress,
                    Function<List<String>, String> version, String os, String arch, RaySettings ray) {
            this(binaries, backendHost, devices, readableFile, readableDirectory, listDirectory, readText, freePort,
                    portRangeProblem, clusterToken, dataDir, rpcPortRange, workerAddress, version, os, arch, ray,
                    MindieSettings.DEFAULT);
        }

        /** A llama-box-only host, as before other backends existed. */
        public Host(BinaryChoice binary, String backendHost, List<GpuDevice> devices, Predicate<Path> readableFile,
                    Supplier<OptionalInt> freePort, String portRangeProblem) {
            this(backend -> binary, backendHost, devices, readableFile, path -> false, path -> List.of(),
                    path -> Optional.empty(), freePort, portRangeProblem, null, Path.of("."),
                    PortRange.parse(RpcServers.DEFAULT_RANGE), id -> Optional.empty(), command -> null, "linux",
                    "amd64", RaySettings.LOCAL);
        }
    }

    /** The backend's canonical name ({@code ascend-mindie} is MindIE), or null when it is none of them. */
    public static String canonicalBackend(String backend) {
        if (backend == null || backend.isBlank()) {
            return LLAMA_BOX;
        }
        return dev.gpufleet.events.Backend.of(backend).map(dev.gpufleet.events.Backend::label).orElse(null);
    }

    /**
     * The engine that runs the plan: without a {@code backend_version} the backend's default binary; with one, the
     * path the scheduler resolved from a registration on this worker, else the path this agent's
     * {@code gpufleet.worker.backend-versions} gives it (asked for as {@code <backend>@<version>}).
     */
    static BinaryChoice binaryFor(String backend, LaunchPlan plan, Host host) {
        String version = plan.backendVersion();
        if (version == null || version.isBlank()) {
            return host.binaries().apply(backend);
        }
        if (plan.backendPath() != null && !plan.backendPath().isBlank()) {
            return new BinaryChoice(List.of(plan.backendPath()), null);
        }
        return host.binaries().apply(backend + "@" + version);
    }

    public static BackendLaunch plan(InstanceChanged instance, Host host) {
        LaunchPlan plan = instance.launchPlan();
        if (plan == null) {
            return BackendLaunch.failed("the instance has no launch plan yet");
        }
        String backend = canonicalBackend(plan.backend());
        if (backend == null) {
            return BackendLaunch.failed("backend '" + plan.backend() + "' is not one of "
                    + String.join(", ", BACKENDS));
        }
        boolean file = backend.equals(LLAMA_BOX);
        ModelLocation model = ModelLocation.of(plan.source(), file ? host.readableFile() : host.readableDirectory(),
                file ? "model file" : "model directory");
        if (model.problem() != null) {
            return BackendLaunch.failed(model.problem());
        }
        BinaryChoice binary = binaryFor(backend, plan, host);
        if (!binary.found()) {
            return BackendLaunch.failed(binary.problem());
        }
        String distributedProblem = distributedProblem(backend, instance);
        if (distributedProblem != null) {
            return BackendLaunch.failed(distributedProblem);
        }
        if (backend.equals(VOX_BOX)) {
            String platform = VoxBoxCommand.platformProblem(instance.modelName() + " " + model.path(),
                    vendors(instance.gpuIndexes(), host.devices()), host.os(), host.arch());
            if (platform != null) {
                return BackendLaunch.failed(platform);
            }
        }
        List<String> rpcServers = new ArrayList<>();
        if (backend.equals(LLAMA_BOX)) {
            for (SubordinateWorker subordinate : instance.subordinateWorkers()) {
                Optional<String> address = subordinate.address() != null && !subordinate.address().isBlank()
                        ? Optional.of(subordinate.address()) : host.workerAddress().apply(subordinate.workerId());
                if (address.isEmpty()) {
                    return BackendLaunch.failed("the address of subordinate worker " + subordinate.workerId()
                            + " is unknown to this worker, so its RPC servers cannot be reached");
                }
                rpcServers.addAll(RpcServers.endpoints(address.get(), subordinate.gpuIndexes(),
                        host.rpcPortRange()));
            }
        }
        BackendEnvironment environment = BackendEnvironment.of(plan.env(), host.devices(),
                backend.equals(MINDIE) ? List.of() : instance.gpuIndexes());
        if (environment.problem() != null) {
            return BackendLaunch.failed(environment.problem());
        }
        BackendLaunch.Prelude rayHead = null;
        if (backend.equals(VLLM) && !instance.subordinateWorkers().isEmpty()) {
            BinaryChoice ray = host.binaries().apply(RAY);
            if (!ray.found()) {
                return BackendLaunch.failed("vLLM across workers runs on a Ray cluster whose head this worker "
                        + "starts: " + ray.problem());
            }
            BackendEnvironment headEnvironment = RayCommands.environment(host.devices(), instance.gpuIndexes(),
                    host.ray().nodeAddress());
            rayHead = new BackendLaunch.Prelude("the Ray head", RayCommands.head(ray.command(),
                    host.ray().nodeAddress(), instance.gpuIndexes().size(), host.ray().ports()),
                    headEnvironment.variables(), host.ray().nodeAddress(), host.ray().ports().gcs());
            environment = joinRay(environment, host.ray());
        }
        if (host.portRangeProblem() != null) {
            return BackendLaunch.failed(host.portRangeProblem());
        }
        String apiKey;
        try {
            apiKey = host.clusterToken() == null ? null
                    : dev.gpufleet.kit.auth.InstanceApiKeys.forInstance(host.clusterToken(), instance.instanceId());
        } catch (IllegalArgumentException e) {
            return BackendLaunch.failed(e.getMessage());
        }
        OptionalInt port = host.freePort().get();
        if (port.isEmpty()) {
            return BackendLaunch.failed("no free port for the backend: every port of gpufleet.worker.port-range is "
                    + "taken; widen the range or run fewer instances on this worker");
        }
        // a backend that cannot check a key listens on loopback; the agent's proxy checks it on the port
        boolean proxied = apiKey != null && checksNoKey(backend, binary.command());
        int listenPort = port.getAsInt();
        String listenHost = host.backendHost();
        if (proxied) {
            OptionalInt loopback = host.loopbackPort().get();
            if (loopback.isEmpty()) {
                return BackendLaunch.failed("no free loopback port for the backend behind the agent's "
                        + "authenticating proxy");
            }
            listenPort = loopback.getAsInt();
            listenHost = PROXIED_BACKEND_HOST;
        }
        BackendLaunch launch = switch (backend) {
            case LLAMA_BOX -> BackendLaunch.ready(LlamaBoxCommand.build(new LlamaBoxCommand.Inputs(
                    binary.command(), listenHost, listenPort, model.path(), instance.modelName(),
                    mmproj(model.path(), plan.backendParameters(), host), !instance.gpuIndexes().isEmpty(),
                    instance.shape(), rpcServers, null, plan.categories(),
                    projectorResolved(model.path(), plan.backendParameters()))),
                    readsKeyFromEnvironment(binary.command()) ? withApiKey(environment, LLAMA_API_KEY, apiKey)
                            : environment, port.getAsInt());
            case VLLM -> BackendLaunch.ready(VllmCommand.build(new VllmCommand.Inputs(binary.command(),
                    host.backendHost(), port.getAsInt(), model.path(), instance.modelName(), null,
                    modelMaxLength(model.path(), host), instance.gpuIndexes().size(),
                    instance.subordinateWorkers().stream().map(s -> s.gpuIndexes().size()).toList(),
                    plan.backendParameters(), instance.shape())), withApiKey(environment, VLLM_API_KEY, apiKey), port.getAsInt())
                    .withPrelude(rayHead);
            case VOX_BOX -> BackendLaunch.ready(VoxBoxCommand.build(new VoxBoxCommand.Inputs(binary.command(),
                    listenHost, listenPort, model.path(),
                    instanceDir(host, instance).resolve("vox-box").toString(), !instance.gpuIndexes().isEmpty(),
                    plan.backendParameters())), environment, port.getAsInt());
            default -> mindieNode(instance, host, binary, model.path(), listenHost, listenPort,
                    instance.gpuIndexes(), instance.workerAddress());
        };
        if (proxied) {
            launch = withPort(launch, port.getAsInt()).behindProxy(listenPort);
        }
        return launch.withVersion(host.version().apply(binary.command()));
    }

    /** Where a backend behind the agent's authenticating proxy listens. */
    public static final String PROXIED_BACKEND_HOST = "127.0.0.1";

    private static BackendLaunch withPort(BackendLaunch launch, int port) {
        return new BackendLaunch(launch.command(), launch.environment(), port, launch.warnings(), launch.problem(),
                launch.files(), launch.version(), launch.prelude(), launch.overlays());
    }

    /**
     * MindIE on this worker's NPUs {@code gpus}: alone, or as one node of an instance across workers (GPUStack's
     * {@code initialize_later}: the main worker's node first, each subordinate's once the main one is STARTING), every
     * node with the same rank table and {@code multiNodesInferPort}, and its own address in {@code MIES_CONTAINER_IP}.
     */
    private static BackendLaunch mindieNode(InstanceChanged instance, Host host, BinaryChoice binary, String modelDir,
                                            String listenHost, int port, List<Integer> gpus, String nodeAddress) {
        LaunchPlan plan = instance.launchPlan();
        List<Integer> npus = new ArrayList<>();
        for (int index : gpus) {
            GpuDevice device = host.devices().stream().filter(d -> d.index() == index).findFirst().orElse(null);
            if (device == null || !"ascend".equals(device.vendor())) {
                return BackendLaunch.failed("MindIE runs on Ascend NPUs; GPU " + index + " of this worker is "
                        + (device == null ? "not there" : "a " + device.vendor() + " device"));
            }
            npus.add(BackendEnvironment.vendorOrdinal(host.devices(), device));
        }
        if (npus.isEmpty()) {
            return BackendLaunch.failed("MindIE needs at least one Ascend NPU; the instance has none");
        }
        MindieCluster cluster = null;
        if (!instance.subordinateWorkers().isEmpty()) {
            cluster = MindieCluster.of(instance);
            if (cluster.problem() != null) {
                return BackendLaunch.failed(cluster.problem());
            }
        }
        Path dir = instanceDir(host, instance);
        Map<String, String> files = new LinkedHashMap<>();
        Map<String, String> overlays = new LinkedHashMap<>();
        String weights = modelDir;
        if (MindieModelOverrides.requested(plan.backendParameters())) {
            Path source = Path.of(modelDir);
            MindieModelOverrides.Result overrides = MindieModelOverrides.apply(plan.backendParameters(),
                    host.readText().apply(source.resolve(MindieModelOverrides.CONFIG)).orElse(null),
                    host.readText().apply(source.resolve(MindieModelOverrides.GENERATION_CONFIG)).orElse(null));
            if (overrides.problem() != null) {
                return BackendLaunch.failed(overrides.problem());
            }
            Path overlay = dir.resolve("model");
            overlays.put(overlay.toString(), modelDir);
            overrides.files().forEach((name, text) -> files.put(overlay.resolve(name).toString(), text));
            weights = overlay.toString();
        }
        Path config = dir.resolve("mindie-config.json");
        Path rankTable = cluster == null ? null : dir.resolve(MINDIE_RANK_TABLE);
        MindieConfig.Result result = MindieConfig.build(new MindieConfig.Inputs(instance.modelName(), weights,
                listenHost, port, npus, cluster == null ? npus.size() : cluster.worldSize(),
                modelMaxLength(modelDir, host), cluster == null ? null : host.mindie().multiNodesInferPort(),
                cluster == null ? null : nodeAddress, config.toString(),
                rankTable == null ? null : rankTable.toString(), plan.env(), plan.backendParameters()));
        files.put(config.toString(), result.configJson());
        if (cluster != null) {
            files.put(rankTable.toString(), cluster.rankTable());
        }
        return new BackendLaunch(new BackendCommand(binary.command(), List.of()), result.environment(), port,
                result.warnings(), null, files, null).withOverlays(overlays);
    }

    /** The rank table every node of a MindIE instance across workers reads, in the instance's directory. */
    public static final String MINDIE_RANK_TABLE = "ranktable.json";

    /**
     * MindIE on a subordinate worker of an instance across workers: this worker's lent NPUs, listening on the RPC
     * port of the first of them ({@code gpufleet.worker.rpc-port-range}: no RPC server uses it, since the instance is
     * not llama-box), with the rank table the main worker writes too.
     */
    public static BackendLaunch mindieNode(InstanceChanged instance, String workerId, Host host) {
        LaunchPlan plan = instance.launchPlan();
        if (plan == null || !MINDIE.equals(canonicalBackend(plan.backend()))) {
            return BackendLaunch.failed("the instance is not a MindIE instance");
        }
        SubordinateWorker me = instance.subordinateWorkers().stream().filter(s -> workerId.equals(s.workerId()))
                .findFirst().orElse(null);
        if (me == null || me.gpuIndexes().isEmpty()) {
            return BackendLaunch.failed("this worker lends no NPU to the instance");
        }
        if (plan.source() != null && !ModelSource.LOCAL_PATH.equals(plan.source().type())) {
            return BackendLaunch.failed("MindIE across workers loads the model on every worker, and a subordinate "
                    + "worker does not download it: register the model with a local_path source that is at the "
                    + "same path on every worker (model source " + plan.source().type() + ")");
        }
        ModelLocation model = ModelLocation.of(plan.source(), host.readableDirectory(), "model directory");
        if (model.problem() != null) {
            return BackendLaunch.failed(model.problem());
        }
        BinaryChoice binary = binaryFor(MINDIE, plan, host);
        if (!binary.found()) {
            return BackendLaunch.failed(binary.problem());
        }
        int port = RpcServers.port(host.rpcPortRange(), me.gpuIndexes().stream().min(Integer::compare).orElseThrow());
        return mindieNode(instance, host, binary, model.path(), host.backendHost(), port, me.gpuIndexes(),
                me.address())
                .withVersion(host.version().apply(binary.command()));
    }

    /**
     * vLLM's driver joins the Ray cluster whose head runs beside it: {@code RAY_ADDRESS} for its {@code ray.init()},
     * {@code VLLM_HOST_IP} for its workers on this node. The agent controls both; a user value is overridden.
     */
    static BackendEnvironment joinRay(BackendEnvironment environment, RaySettings ray) {
        Map<String, String> variables = new LinkedHashMap<>(environment.variables());
        List<String> warnings = new ArrayList<>(environment.warnings());
        Map<String, String> controlled = new LinkedHashMap<>();
        controlled.put(RayCommands.RAY_ADDRESS, RayCommands.gcsAddress(ray.nodeAddress(), ray.ports()));
        controlled.put(RayCommands.VLLM_HOST_IP, ray.nodeAddress());
        controlled.forEach((name, value) -> {
            if (variables.containsKey(name)) {
                warnings.add("env " + name + " was overridden: the agent sets it to the Ray cluster it starts");
            }
            variables.put(name, value);
        });
        return new BackendEnvironment(variables, warnings, null);
    }

    /** vLLM reads its key from {@code VLLM_API_KEY}: off its command line, which every local user can read. */
    static final String VLLM_API_KEY = "VLLM_API_KEY";
    /** llama.cpp's llama-server and llamacpp-server read theirs from {@code LLAMA_API_KEY}. */
    static final String LLAMA_API_KEY = "LLAMA_API_KEY";

    /**
     * Whether the backend cannot check the instance key itself, so it listens on loopback behind the agent's
     * authenticating proxy: vox-box, MindIE, and a GGUF server other than llama.cpp's {@code llama-server} and the
     * llamacpp-server fallback. llama-box has no API-key option (its parser reports {@code --api-key} as an unknown
     * argument and serves without one), and a configured command the agent cannot identify is treated the same, so
     * that no key is ever put on a command line.
     */
    static boolean checksNoKey(String backend, List<String> command) {
        return switch (backend) {
            case VOX_BOX, MINDIE -> true;
            case LLAMA_BOX -> !readsKeyFromEnvironment(command);
            default -> false;
        };
    }

    /**
     * Whether the GGUF server is one that reads {@link #LLAMA_API_KEY} (llama.cpp's {@code llama-server}, whose
     * {@code --api-key} option is declared with that variable, and the llamacpp-server executable or jar).
     */
    static boolean readsKeyFromEnvironment(List<String> command) {
        if (command.isEmpty()) {
            return false;
        }
        String program = Path.of(command.get(0)).getFileName().toString();
        if (program.equals("llama-server") || program.equals("llamacpp-server")) {
            return true;
        }
        int jar = command.indexOf("-jar");
        return jar >= 0 && jar + 1 < command.size()
                && Path.of(command.get(jar + 1)).getFileName().toString().startsWith("llamacpp-server");
    }

    static BackendEnvironment withApiKey(BackendEnvironment environment, String variable, String apiKey) {
        if (apiKey == null) {
            return environment;
        }
        Map<String, String> variables = new LinkedHashMap<>(environment.variables());
        variables.put(variable, apiKey);
        return new BackendEnvironment(variables, environment.warnings(), null);
    }

    private static String distributedProblem(String backend, InstanceChanged instance) {
        if (instance.subordinateWorkers().isEmpty()) {
            return null;
        }
        return switch (backend) {
            case VOX_BOX -> "vox-box runs on one worker only";
            default -> null;
        };
    }

    /**
     * A user's {@code --mmproj} given relative to a local model's source is resolved against the model's
     * directory (a downloaded model's was replaced by its path on this worker already).
     */
    static List<String> projectorResolved(String modelPath, List<String> backendParameters) {
        String user = dev.gpufleet.events.Projectors.userProjector(backendParameters);
        Path dir = Path.of(modelPath).toAbsolutePath().getParent();
        if (user == null || !dev.gpufleet.events.Projectors.relative(user) || dir == null) {
            return backendParameters;
        }
        return dev.gpufleet.events.Projectors.withProjector(backendParameters, dir.resolve(user).normalize().toString());
    }

    private static String mmproj(String modelPath, List<String> backendParameters, Host host) {
        if (UserParameters.parse(backendParameters).stream().anyMatch(p -> p.is(LlamaBoxCommand.MMPROJ))) {
            return null;
        }
        Path dir = Path.of(modelPath).toAbsolutePath().getParent();
        if (dir == null) {
            return null;
        }
        return Mmproj.choose(host.listDirectory().apply(dir)).map(name -> dir.resolve(name).toString())
                .orElse(null);
    }

    private static Integer modelMaxLength(String modelDir, Host host) {
        OptionalInt length = host.readText().apply(Path.of(modelDir, "config.json"))
                .map(ModelMaxLength::derive).orElse(OptionalInt.empty());
        return length.isPresent() ? length.getAsInt() : null;
    }

    private static List<String> vendors(List<Integer> gpuIndexes, List<GpuDevice> devices) {
        return gpuIndexes.stream().map(i -> devices.stream().filter(d -> d.index() == i).findFirst()
                .map(GpuDevice::vendor).orElse("unknown")).toList();
    }

    static Path instanceDir(Host host, InstanceChanged instance) {
        return host.dataDir().resolve(INSTANCE_DIR).resolve(instance.instanceId().replaceAll("[^A-Za-z0-9._-]",
                "_"));
    }
}
