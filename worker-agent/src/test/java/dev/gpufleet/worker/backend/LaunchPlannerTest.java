package dev.gpufleet.worker.backend;

import dev.gpufleet.events.GpuDevice;
import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.LaunchPlan;
import dev.gpufleet.events.ModelSource;
import dev.gpufleet.events.ResourceClaim;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

class LaunchPlannerTest {
    private static final String MODEL = "/models/demo.gguf";
    private static final GpuDevice L4 =
            new GpuDevice(0, "nvidia", "cuda", "NVIDIA L4", "uuid-0", 24L << 30, 0, 0.0);
    private static final BinaryChoice LLAMA_BOX = new BinaryChoice(List.of("/usr/bin/llama-box"), null);

    private static InstanceChanged instance(LaunchPlan plan, List<Integer> gpus) {
        return new InstanceChanged("i-1", "demo-1a2b", "m-1", "demo", "w-1", "node-1", gpus, List.of(),
                new ResourceClaim(1L << 30, Map.of()), InstanceState.SCHEDULED, null, null, 0, plan);
    }

    private static LaunchPlan plan(String backend, ModelSource source, List<String> parameters,
                                   Map<String, String> env) {
        return new LaunchPlan(backend, null, source, parameters, env, List.of("llm"));
    }

    private static LaunchPlanner.Host host(BinaryChoice binary, OptionalInt port, String portRangeProblem,
                                           AtomicBoolean portAsked) {
        return new LaunchPlanner.Host(binary, "0.0.0.0", List.of(L4), Path.of(MODEL)::equals, () -> {
            portAsked.set(true);
            return port;
        }, portRangeProblem);
    }

    @Test
    void aReadyLaunchHasTheCommandEnvironmentPortAndWarnings() {
        BackendLaunch launch = LaunchPlanner.plan(instance(plan("llama-box", ModelSource.localPath(MODEL),
                List.of("--port=1"), Map.of("CUDA_VISIBLE_DEVICES", "3", "TOKEN", "t")), List.of(0)),
                host(LLAMA_BOX, OptionalInt.of(40007), null, new AtomicBoolean()));

        assertNull(launch.problem());
        assertEquals(40007, launch.port());
        assertEquals(List.of("/usr/bin/llama-box", "--host", "0.0.0.0", "--port", "40007", "-m", MODEL, "--alias",
                "demo", "-c", "8192", "-np", "4", "-ngl", "999"), launch.command().args());
        assertEquals(Map.of("TOKEN", "t", "CUDA_VISIBLE_DEVICES", "0", "HIP_VISIBLE_DEVICES", "",
                "ASCEND_RT_VISIBLE_DEVICES", ""), launch.environment());
        assertEquals(List.of("backend parameter --port was ignored: the agent assigns the port from "
                        + "gpufleet.worker.port-range",
                "env CUDA_VISIBLE_DEVICES was overridden: the agent sets it from the instance's GPUs"),
                launch.warnings());
        assertFalse(launch.toString().contains("=t"), launch.toString());
    }

    @Test
    void aDistributedInstanceReachesItsSubordinatesRpcServersAtTheAddressThePlacementCarries() {
        InstanceChanged distributed = new InstanceChanged("i-1", "demo-1a2b", "m-1", "demo", "w-1", "node-1",
                List.of(0), List.of(new dev.gpufleet.events.SubordinateWorker("w-2", List.of(0, 1),
                new ResourceClaim(1L << 28, Map.of(0, 8L << 30, 1, 8L << 30)), "10.0.0.7")),
                new ResourceClaim(1L << 30, Map.of(0, 8L << 30)), InstanceState.SCHEDULED, null, null, 0,
                plan("llama-box", ModelSource.localPath(MODEL), List.of(), Map.of()),
                new dev.gpufleet.events.PlacementShape(dev.gpufleet.events.PlacementShape.Kind.DISTRIBUTED, 999,
                        List.of(1.0, 1.0, 1.0), 1, 1));

        BackendLaunch launch = LaunchPlanner.plan(distributed, host(LLAMA_BOX, OptionalInt.of(40001), null,
                new AtomicBoolean()));

        assertNull(launch.problem());
        List<String> args = launch.command().args();
        assertEquals("10.0.0.7:40064,10.0.0.7:40065", args.get(args.indexOf("--rpc") + 1), args.toString());
    }

    private static InstanceChanged vllmAcrossWorkers(Map<String, String> env) {
        return new InstanceChanged("i-1", "demo-1a2b", "m-1", "demo", "w-1", "node-1", List.of(0),
                List.of(new dev.gpufleet.events.SubordinateWorker("w-2", List.of(0), null, "10.0.0.7")),
                new ResourceClaim(1L << 30, Map.of(0, 8L << 30)), InstanceState.SCHEDULED, null, null, 0,
                plan("vllm", ModelSource.localPath("/models/qwen"), List.of(), env),
                new dev.gpufleet.events.PlacementShape(dev.gpufleet.events.PlacementShape.Kind.DISTRIBUTED, 0,
                        List.of(), 1, 2));
    }

    private static LaunchPlanner.Host vllmHost(BinaryChoice ray) {
        return new LaunchPlanner.Host(backend -> backend.equals("ray") ? ray
                : new BinaryChoice(List.of("/usr/bin/" + backend), null), "0.0.0.0", List.of(L4), path -> false,
                Path.of("/models/qwen")::equals, path -> List.of(), path -> java.util.Optional.empty(),
                () -> OptionalInt.of(40001), null, null, Path.of("/data"), PortRange.parse(RpcServers.DEFAULT_RANGE),
                id -> java.util.Optional.empty(), command -> null, "linux", "amd64",
                new RaySettings(RayCommands.Ports.DEFAULT, "10.0.0.5"));
    }

    @Test
    void vllmAcrossWorkersStartsTheRayHeadFirstAndJoinsIt() {
        BackendLaunch launch = LaunchPlanner.plan(vllmAcrossWorkers(Map.of("RAY_ADDRESS", "auto", "HF_HOME", "/h")),
                vllmHost(new BinaryChoice(List.of("/usr/bin/ray"), null)));

        assertNull(launch.problem());
        assertEquals("/usr/bin/vllm serve /models/qwen --gpu-memory-utilization 0.9 --tensor-parallel-size 1 "
                + "--pipeline-parallel-size 2 --distributed-executor-backend ray --host 0.0.0.0 --port 40001 "
                + "--served-model-name demo", String.join(" ", launch.command().args()));
        assertEquals(Map.of("HF_HOME", "/h", "CUDA_VISIBLE_DEVICES", "0", "HIP_VISIBLE_DEVICES", "",
                "ASCEND_RT_VISIBLE_DEVICES", "", "RAY_ADDRESS", "10.0.0.5:40096", "VLLM_HOST_IP", "10.0.0.5"),
                launch.environment());
        assertEquals(List.of("env RAY_ADDRESS was overridden: the agent sets it to the Ray cluster it starts"),
                launch.warnings());
        BackendLaunch.Prelude head = launch.prelude();
        assertEquals("the Ray head", head.name());
        assertEquals(RayCommands.head(List.of("/usr/bin/ray"), "10.0.0.5", 1, RayCommands.Ports.DEFAULT).args(),
                head.command().args());
        assertEquals(Map.of("CUDA_VISIBLE_DEVICES", "0", "HIP_VISIBLE_DEVICES", "", "ASCEND_RT_VISIBLE_DEVICES", "",
                "VLLM_HOST_IP", "10.0.0.5"), head.environment());
        assertEquals("10.0.0.5:40096", head.readyHost() + ":" + head.readyPort());
    }

    @Test
    void vllmAcrossWorkersWithoutRaySaysWhatToInstall() {
        BackendLaunch launch = LaunchPlanner.plan(vllmAcrossWorkers(Map.of()), vllmHost(BackendBinaries.choose("ray",
                java.util.Optional.empty(), name -> java.util.Optional.empty(), file -> false)));

        assertEquals("vLLM across workers runs on a Ray cluster whose head this worker starts: no ray backend on "
                + "this worker: ray is not on the search path. To fix: install Ray (pip install 'ray[default]'), or "
                + "set gpufleet.worker.ray.command (GPUFLEET_WORKER_RAY_COMMAND) to the command that runs it.",
                launch.problem());
    }

    @Test
    void vllmOnOneWorkerHasNoPrelude() {
        InstanceChanged one = vllmAcrossWorkers(Map.of());
        one = new InstanceChanged(one.instanceId(), one.name(), one.modelId(), one.modelName(), one.workerId(),
                one.workerName(), one.gpuIndexes(), List.of(), one.claim(), one.state(), null, null, 0,
                one.launchPlan());
        BackendLaunch launch = LaunchPlanner.plan(one, vllmHost(new BinaryChoice(List.of(), "no ray")));

        assertNull(launch.problem());
        assertNull(launch.prelude());
        assertFalse(launch.environment().containsKey("RAY_ADDRESS"));
    }

    private static final List<GpuDevice> NPUS = List.of(
            new GpuDevice(0, "ascend", "npu", "Ascend 910B3", "0000:C1:00.0-chip0", 64L << 30, 0, 0.0, "29.11.36.2"),
            new GpuDevice(1, "ascend", "npu", "Ascend 910B3", "0000:C2:00.0-chip0", 64L << 30, 0, 0.0, "29.11.36.3"));

    /** MindIE on NPUs 0 and 1 of w-1 (10.0.0.5) and of w-2 (10.0.0.7), as the scheduler places it. */
    private static InstanceChanged mindieAcrossWorkers(String source) {
        ModelSource model = source.equals(ModelSource.LOCAL_PATH) ? ModelSource.localPath("/models/qwen")
                : new ModelSource(source, "Qwen/Qwen2.5-72B-Instruct", null, "main", null, null, null);
        return new InstanceChanged("i-1", "demo-1a2b", "m-1", "demo", "w-1", "node-1", List.of(0, 1),
                List.of(new dev.gpufleet.events.SubordinateWorker("w-2", List.of(0, 1), null, "10.0.0.7",
                        Map.of(0, "29.11.37.2", 1, "29.11.37.3"))),
                new ResourceClaim(1L << 30, Map.of(0, 58L << 30, 1, 58L << 30)), InstanceState.SCHEDULED, null, null,
                0, plan("ascend-mindie", model, List.of(), Map.of("HCCL_CONNECT_TIMEOUT", "60")), null, "10.0.0.5",
                Map.of(0, "29.11.36.2", 1, "29.11.36.3"));
    }

    private static LaunchPlanner.Host npuHost(int port) {
        return new LaunchPlanner.Host(backend -> new BinaryChoice(List.of("/usr/bin/mindieservice_daemon"), null),
                "0.0.0.0", NPUS, path -> false, Path.of("/models/qwen")::equals, path -> List.of(),
                path -> java.util.Optional.empty(), () -> OptionalInt.of(port), null, null, Path.of("/data"),
                PortRange.parse(RpcServers.DEFAULT_RANGE), id -> java.util.Optional.empty(), command -> "2.0.RC2",
                "linux", "arm64", new RaySettings(RayCommands.Ports.DEFAULT, "10.0.0.5"), new MindieSettings(1121));
    }

    private static final String RANK_TABLE = MindieConfig.rankTable(List.of(
            new MindieConfig.RankServer("10.0.0.5", List.of(new MindieConfig.RankDevice(0, "29.11.36.2"),
                    new MindieConfig.RankDevice(1, "29.11.36.3"))),
            new MindieConfig.RankServer("10.0.0.7", List.of(new MindieConfig.RankDevice(0, "29.11.37.2"),
                    new MindieConfig.RankDevice(1, "29.11.37.3")))));

    @Test
    void mindieAcrossWorkersWritesTheRankTableOnTheMainWorkerAndNamesItsNode() {
        BackendLaunch launch = LaunchPlanner.plan(mindieAcrossWorkers(ModelSource.LOCAL_PATH), npuHost(40001));

        assertNull(launch.problem());
        assertEquals(RANK_TABLE, launch.files().get("/data/instances/i-1/ranktable.json"));
        assertTrue(RANK_TABLE.contains("\"rank_id\" : \"3\""), RANK_TABLE);
        String config = launch.files().get("/data/instances/i-1/mindie-config.json");
        assertTrue(config.contains("\"multiNodesInferEnabled\" : true"), config);
        assertTrue(config.contains("\"multiNodesInferPort\" : 1121"), config);
        assertTrue(config.contains("\"npuDeviceIds\" : [ [ 0, 1 ] ]"), config);
        assertTrue(config.contains("\"port\" : 40001"), config);
        Map<String, String> env = launch.environment();
        assertEquals("4", env.get("WORLD_SIZE"));
        assertEquals("/data/instances/i-1/ranktable.json", env.get("RANKTABLEFILE"));
        assertEquals("/data/instances/i-1/ranktable.json", env.get("RANK_TABLE_FILE"));
        assertEquals("10.0.0.5", env.get("MIES_CONTAINER_IP"));
        assertEquals("10.0.0.5", env.get("HOST_IP"));
        assertEquals("hccl", env.get("ATB_LLM_COMM_BACKEND"));
        assertEquals("7200", env.get("HCCL_CONNECT_TIMEOUT"));
        assertEquals("TRUE", env.get("HCCL_RDMA_PCIE_DIRECT_POST_NOSTRICT"));
        assertEquals("AIV", env.get("HCCL_OP_EXPANSION_MODE"));
        assertEquals(List.of("env HCCL_CONNECT_TIMEOUT was overridden: the agent sets it for MindIE"),
                launch.warnings());
    }

    @Test
    void aSubordinatesMindieNodeHasItsNpusItsAddressAndTheSameRankTable() {
        BackendLaunch node = LaunchPlanner.mindieNode(mindieAcrossWorkers(ModelSource.LOCAL_PATH), "w-2",
                npuHost(40001));

        assertNull(node.problem());
        assertEquals(RANK_TABLE, node.files().get("/data/instances/i-1/ranktable.json"));
        String config = node.files().get("/data/instances/i-1/mindie-config.json");
        assertTrue(config.contains("\"port\" : 40064"), "the RPC port of its first NPU: " + config);
        assertTrue(config.contains("\"multiNodesInferPort\" : 1121"), config);
        assertTrue(config.contains("\"npuDeviceIds\" : [ [ 0, 1 ] ]"), config);
        assertEquals("10.0.0.7", node.environment().get("MIES_CONTAINER_IP"));
        assertEquals("4", node.environment().get("WORLD_SIZE"));
        assertEquals(List.of("/usr/bin/mindieservice_daemon"), node.command().args());
        assertEquals("2.0.RC2", node.version());
    }

    static Stream<Arguments> mindieAcrossWorkersProblems() {
        InstanceChanged good = mindieAcrossWorkers(ModelSource.LOCAL_PATH);
        String prefix = "MindIE across workers needs a rank table listing every NPU's device IP on every worker: ";
        String noIp = " no device IP: each worker reports its NPUs' device IPs from hccn_tool -i <n> -ip -g (found "
                + "on gpufleet.worker.device-tool-path) in its heartbeat, and the scheduler copies those it knew "
                + "when it placed the instance; give the NPUs RoCE addresses (hccn_tool -i <n> -ip -s address <ip> "
                + "netmask <mask>), then delete the instance so that it is placed again";
        return Stream.of(
                Arguments.of(good.withWorkerAddress(null), prefix + "the address of main worker node-1 (w-1) is "
                        + "unknown (the instance's InstanceChanged carries none: a scheduler older than those fields, "
                        + "or a heartbeat that gave no address when the instance was placed)"),
                Arguments.of(good.withDeviceIps(Map.of(0, "29.11.36.2")), prefix + "NPU 1 of main worker node-1 "
                        + "(w-1) has" + noIp),
                Arguments.of(new InstanceChanged(good.instanceId(), good.name(), good.modelId(), good.modelName(),
                        good.workerId(), good.workerName(), good.gpuIndexes(), List.of(
                        new dev.gpufleet.events.SubordinateWorker("w-2", List.of(0, 1), null)), good.claim(),
                        good.state(), null, null, 0, good.launchPlan(), null, "10.0.0.5", good.deviceIps()),
                        prefix + "the address of worker w-2 is unknown (the instance's InstanceChanged carries none: "
                                + "a scheduler older than those fields, or a heartbeat that gave no address when the "
                                + "instance was placed); NPU 0 of worker w-2, NPU 1 of worker w-2 have" + noIp));
    }

    @ParameterizedTest
    @MethodSource("mindieAcrossWorkersProblems")
    void mindieAcrossWorkersSaysWhatThePlacementLacks(InstanceChanged instance, String expected) {
        assertEquals(expected, LaunchPlanner.plan(instance, npuHost(40001)).problem());
        assertEquals(expected, LaunchPlanner.mindieNode(instance, "w-2", npuHost(40001)).problem());
    }

    @Test
    void aSubordinateDoesNotDownloadTheModelOfAMindieInstance() {
        assertEquals("MindIE across workers loads the model on every worker, and a subordinate worker does not "
                + "download it: register the model with a local_path source that is at the same path on every "
                + "worker (model source huggingface)", LaunchPlanner.mindieNode(
                mindieAcrossWorkers(ModelSource.HUGGINGFACE), "w-2", npuHost(40001)).problem());
        assertEquals("this worker lends no NPU to the instance", LaunchPlanner.mindieNode(
                mindieAcrossWorkers(ModelSource.LOCAL_PATH), "w-3", npuHost(40001)).problem());
    }

    @Test
    void noBackendNameMeansLlamaBox() {
        BackendLaunch launch = LaunchPlanner.plan(instance(plan(null, ModelSource.localPath(MODEL), List.of(),
                Map.of()), List.of()), host(LLAMA_BOX, OptionalInt.of(40000), null, new AtomicBoolean()));

        assertNull(launch.problem());
    }

    static Stream<Arguments> problems() {
        BinaryChoice none = new BinaryChoice(List.of(), "no llama-box backend on this worker");
        LaunchPlan good = plan("llama-box", ModelSource.localPath(MODEL), List.of(), Map.of());
        return Stream.of(
                arguments("no launch plan", instance(null, List.of()), LLAMA_BOX, OptionalInt.of(1), null,
                        "the instance has no launch plan yet"),
                arguments("vLLM reads a model directory, not a GGUF file",
                        instance(plan("vllm", ModelSource.localPath(MODEL), List.of(), Map.of()), List.of()),
                        LLAMA_BOX, OptionalInt.of(1), null, "model directory not found: " + MODEL),
                arguments("an unknown backend", instance(plan("tgi", ModelSource.localPath(MODEL), List.of(),
                        Map.of()), List.of()), LLAMA_BOX, OptionalInt.of(1), null,
                        "backend 'tgi' is not one of llama-box, vllm, vox-box, mindie"),
                arguments("the model file is checked before the binary",
                        instance(plan("llama-box", ModelSource.localPath("/nope.gguf"), List.of(), Map.of()),
                                List.of()), none, OptionalInt.of(1), null, "model file not found: /nope.gguf"),
                arguments("no binary", instance(good, List.of()), none, OptionalInt.of(1), null,
                        "no llama-box backend on this worker"),
                arguments("a GPU the worker lacks", instance(good, List.of(3)), LLAMA_BOX, OptionalInt.of(1), null,
                        "GPU 3 is not on this worker (it has GPUs 0)"),
                arguments("an unusable port range", instance(good, List.of()), LLAMA_BOX, OptionalInt.of(1),
                        "gpufleet.worker.port-range 'x' is not FROM-TO, e.g. 40000-40063",
                        "gpufleet.worker.port-range 'x' is not FROM-TO, e.g. 40000-40063"),
                arguments("no free port", instance(good, List.of()), LLAMA_BOX, OptionalInt.empty(), null,
                        "no free port for the backend: every port of gpufleet.worker.port-range is taken; widen "
                                + "the range or run fewer instances on this worker"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("problems")
    void saysWhyItCannotStart(String description, InstanceChanged instance, BinaryChoice binary, OptionalInt port,
                              String portRangeProblem, String problem) {
        AtomicBoolean portAsked = new AtomicBoolean();
        BackendLaunch launch = LaunchPlanner.plan(instance, host(binary, port, portRangeProblem, portAsked));

        assertEquals(problem, launch.problem());
        assertFalse(launch.ready());
        assertEquals(port.isEmpty(), portAsked.get(), "a port is looked for only when all else is in order");
    }
}
