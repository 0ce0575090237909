package dev.gpufleet.worker.backend;

import dev.gpufleet.events.GpuDevice;
import dev.gpufleet.events.PlacementShape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

class BackendBuildersTest {
    @Test
    void mmprojPrefersF32OverF16AndIgnoresOtherFiles() {
        assertEquals(Optional.of("mmproj-model-f32.gguf"), Mmproj.choose(List.of("model-Q4_K_M.gguf",
                "mmproj-model-f16.gguf", "mmproj-model-f32.gguf", "mmproj-notes.txt")));
        assertEquals(Optional.empty(), Mmproj.choose(List.of("model.gguf")));
    }

    static Stream<Arguments> llamaBoxLayouts() {
        String fixed = "llama-box --host 0.0.0.0 --port 40001 -m /m/q.gguf --alias qwen";
        return Stream.of(
                arguments("partial offload: -ngl k", new PlacementShape(PlacementShape.Kind.PARTIAL_OFFLOAD, 20,
                        List.of(), 1, 1), List.of(), null, List.of(), List.of(),
                        fixed + " -c 8192 -np 4 -ngl 20"),
                arguments("CPU only: -ngl 0 even with a GPU index", new PlacementShape(PlacementShape.Kind.CPU_ONLY,
                        0, List.of(), 1, 1), List.of(), null, List.of(), List.of(), fixed + " -c 8192 -np 4 -ngl 0"),
                arguments("multi GPU: tensor split", new PlacementShape(PlacementShape.Kind.MULTI_GPU, 999,
                        List.of(3.0, 1.0), 1, 1), List.of(), null, List.of(), List.of(),
                        fixed + " -c 8192 -np 4 -ngl 999 --tensor-split 3,1"),
                arguments("distributed: RPC servers' shares first, then --rpc",
                        new PlacementShape(PlacementShape.Kind.DISTRIBUTED, 999, List.of(2.0, 1.0, 1.5), 1, 1),
                        List.of("10.0.0.2:40064", "10.0.0.2:40065"), null, List.of(), List.of(),
                        fixed + " -c 8192 -np 4 -ngl 999 --tensor-split 1,1.5,2 --rpc 10.0.0.2:40064,10.0.0.2:40065"),
                arguments("mmproj, reranker, api key", null, List.of(), "/m/mmproj-f32.gguf", List.of("reranker"),
                        List.of(), "llama-box --host 0.0.0.0 --port 40001 -m /m/q.gguf --alias qwen --mmproj "
                                + "/m/mmproj-f32.gguf -c 8192 -np 4 -ngl 999 --rerank --api-key gfk-1"),
                arguments("user's --mmproj and -ts win; user's --rpc is dropped",
                        new PlacementShape(PlacementShape.Kind.MULTI_GPU, 999, List.of(1.0, 1.0), 1, 1), List.of(),
                        "/m/mmproj-f32.gguf", List.of(), List.of("--mmproj=/x/p.gguf", "-ts", "2,1", "--rpc",
                                "1.2.3.4:5"), fixed + " -c 8192 -np 4 -ngl 999 --mmproj /x/p.gguf -ts 2,1"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("llamaBoxLayouts")
    void llamaBoxLayout(String description, PlacementShape shape, List<String> rpc, String mmproj,
                        List<String> categories, List<String> params, String expected) {
        String apiKey = description.contains("api key") ? "gfk-1" : null;
        BackendCommand command = LlamaBoxCommand.build(new LlamaBoxCommand.Inputs(List.of("llama-box"), "0.0.0.0",
                40001, "/m/q.gguf", "qwen", mmproj, true, shape, rpc, apiKey, categories, params));
        assertEquals(expected, String.join(" ", command.args()));
    }

    @Test
    void rpcServersOnePerGpuWithItsOwnDeviceAndPort() {
        List<GpuDevice> gpus = List.of(new GpuDevice(0, "nvidia", "cuda", "RTX 4090", "a", 24L << 30, 0, 0),
                new GpuDevice(1, "nvidia", "cuda", "RTX 4090", "b", 24L << 30, 0, 0));
        List<RpcServers.RpcServer> servers = RpcServers.plan(List.of("llama-box"), "0.0.0.0", gpus,
                PortRange.parse("40064-40095"));
        assertEquals("llama-box --rpc-server-host 0.0.0.0 --rpc-server-port 40065 --rpc-server-main-gpu 0 "
                + "--origin-rpc-server-main-gpu 1", servers.get(1).command().redacted());
        assertEquals("1", servers.get(1).environment().get("CUDA_VISIBLE_DEVICES"));
        assertEquals(List.of("10.0.0.9:40064", "10.0.0.9:40065"), RpcServers.endpoints("10.0.0.9", List.of(0, 1),
                PortRange.parse("40064-40095")));
        assertTrue(RpcServers.plan(List.of("x"), "h", gpus, PortRange.parse("40064-40064")).get(1).problem()
                .contains("no port"));
    }

    static Stream<Arguments> vllmLines() {
        String tail = " --host 0.0.0.0 --port 40002 --served-model-name qwen";
        return Stream.of(
                arguments("one GPU, short model", 4096, 1, List.of(), List.of(),
                        "vllm serve /m --gpu-memory-utilization 0.9" + tail, 0),
                arguments("long model: 8192; two GPUs: tp 2", 32768, 2, List.of(), List.of(),
                        "vllm serve /m --gpu-memory-utilization 0.9 --max-model-len 8192 --tensor-parallel-size 2"
                                + tail, 0),
                arguments("user values win", 32768, 2, List.of(), List.of("--gpu-memory-utilization=0.5",
                        "--max-model-len", "4096", "-tp", "1"),
                        "vllm serve /m --gpu-memory-utilization 0.5 --max-model-len 4096 -tp 1" + tail, 0),
                arguments("ray: tp per worker, pp = 1 + subordinates", null, 2, List.of(2, 2), List.of(),
                        "vllm serve /m --gpu-memory-utilization 0.9 --tensor-parallel-size 2 "
                                + "--pipeline-parallel-size 3 --distributed-executor-backend ray" + tail, 0),
                arguments("uneven workers: tp 1, pp total, warned", null, 2, List.of(1), List.of(),
                        "vllm serve /m --gpu-memory-utilization 0.9 --tensor-parallel-size 1 "
                                + "--pipeline-parallel-size 3 --distributed-executor-backend ray" + tail, 1),
                arguments("agent-owned flags dropped with a warning", null, 1, List.of(),
                        List.of("--port", "1", "--served-model-name=x", "--dtype", "half"),
                        "vllm serve /m --gpu-memory-utilization 0.9 --dtype half" + tail, 2));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vllmLines")
    void vllmCommandLine(String description, Integer maxLen, int gpus, List<Integer> subordinates,
                         List<String> params, String expected, int warnings) {
        BackendCommand command = VllmCommand.build(new VllmCommand.Inputs(List.of("vllm"), "0.0.0.0", 40002, "/m",
                "qwen", null, maxLen, gpus, subordinates, params));
        assertEquals(expected, String.join(" ", command.args()));
        assertEquals(warnings, command.warnings().size(), command.warnings().toString());
    }

    static Stream<Arguments> vllmShapes() {
        String tail = " --host 0.0.0.0 --port 40002 --served-model-name qwen";
        return Stream.of(
                arguments("the scheduler's Ray group: tp = GPUs per worker, pp = workers",
                        new PlacementShape(PlacementShape.Kind.DISTRIBUTED, 0, List.of(), 4, 2), 4, List.of(4),
                        List.of(), "vllm serve /m --gpu-memory-utilization 0.9 --tensor-parallel-size 4 "
                                + "--pipeline-parallel-size 2 --distributed-executor-backend ray" + tail),
                arguments("the shape wins over the GPU counts", new PlacementShape(PlacementShape.Kind.DISTRIBUTED,
                        0, List.of(), 2, 3), 2, List.of(1, 2), List.of(), "vllm serve /m --gpu-memory-utilization "
                        + "0.9 --tensor-parallel-size 2 --pipeline-parallel-size 3 --distributed-executor-backend ray"
                        + tail),
                arguments("a shape of another kind: GPUStack's rule", new PlacementShape(
                        PlacementShape.Kind.MULTI_GPU, 0, List.of(), 2, 1), 2, List.of(2), List.of(),
                        "vllm serve /m --gpu-memory-utilization 0.9 --tensor-parallel-size 2 "
                                + "--pipeline-parallel-size 2 --distributed-executor-backend ray" + tail),
                arguments("the user's parallelism still wins, Ray stays", new PlacementShape(
                        PlacementShape.Kind.DISTRIBUTED, 0, List.of(), 2, 2), 2, List.of(2), List.of("-pp", "2",
                        "-tp", "2"), "vllm serve /m --gpu-memory-utilization 0.9 --distributed-executor-backend ray "
                        + "-pp 2 -tp 2" + tail),
                arguments("the user's executor is kept", new PlacementShape(PlacementShape.Kind.DISTRIBUTED, 0,
                        List.of(), 1, 2), 1, List.of(1), List.of("--distributed-executor-backend", "ray"),
                        "vllm serve /m --gpu-memory-utilization 0.9 --tensor-parallel-size 1 "
                                + "--pipeline-parallel-size 2 --distributed-executor-backend ray" + tail));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vllmShapes")
    void vllmAcrossWorkersFollowsThePlacementShape(String description, PlacementShape shape, int gpus,
                                                   List<Integer> subordinates, List<String> params,
                                                   String expected) {
        BackendCommand command = VllmCommand.build(new VllmCommand.Inputs(List.of("vllm"), "0.0.0.0", 40002, "/m",
                "qwen", null, null, gpus, subordinates, params, shape));
        assertEquals(expected, String.join(" ", command.args()), description);
    }

    static Stream<Arguments> rayEnvironments() {
        GpuDevice nvidia0 = new GpuDevice(0, "nvidia", "cuda", "NVIDIA H100", "u0", 80L << 30, 0, 0.0);
        GpuDevice nvidia1 = new GpuDevice(1, "nvidia", "cuda", "NVIDIA H100", "u1", 80L << 30, 0, 0.0);
        GpuDevice npu = new GpuDevice(2, "ascend", "npu", "Ascend 910B", "u2", 64L << 30, 0, 0.0);
        return Stream.of(
                arguments("both NVIDIA GPUs", List.of(nvidia0, nvidia1), List.of(0, 1),
                        "ASCEND_RT_VISIBLE_DEVICES= CUDA_VISIBLE_DEVICES=0,1 HIP_VISIBLE_DEVICES= "
                                + "VLLM_HOST_IP=10.0.0.2", null),
                arguments("one of them", List.of(nvidia0, nvidia1), List.of(1),
                        "ASCEND_RT_VISIBLE_DEVICES= CUDA_VISIBLE_DEVICES=1 HIP_VISIBLE_DEVICES= VLLM_HOST_IP=10.0.0.2",
                        null),
                arguments("an Ascend NPU counts from 0 among NPUs", List.of(nvidia0, nvidia1, npu), List.of(2),
                        "ASCEND_RT_VISIBLE_DEVICES=0 CUDA_VISIBLE_DEVICES= HIP_VISIBLE_DEVICES= VLLM_HOST_IP=10.0.0.2",
                        null),
                arguments("a GPU the worker lacks", List.of(nvidia0), List.of(3), "",
                        "GPU 3 is not on this worker (it has GPUs 0)"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rayEnvironments")
    void aRayNodeSeesOnlyItsGpus(String description, List<GpuDevice> devices, List<Integer> gpus, String expected,
                                 String problem) {
        BackendEnvironment environment = RayCommands.environment(devices, gpus, "10.0.0.2");
        assertEquals(problem, environment.problem(), description);
        assertEquals(expected, environment.variables().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                .sorted().collect(java.util.stream.Collectors.joining(" ")), description);
    }

    @Test
    void rayAddressesBracketIpv6() {
        assertEquals("10.0.0.1:40096", RayCommands.gcsAddress("10.0.0.1", RayCommands.Ports.DEFAULT));
        assertEquals("[fd00::1]:40096", RayCommands.gcsAddress("fd00::1", RayCommands.Ports.DEFAULT));
        assertEquals("ray start --address [fd00::1]:40096", String.join(" ", RayCommands.worker(List.of("ray"),
                "fd00::1", "fd00::2", 1, RayCommands.Ports.DEFAULT).args().subList(0, 4)));
    }

    @Test
    void modelMaxLengthFollowsVllmsDerivation() {
        assertEquals(OptionalInt.of(32768), ModelMaxLength.derive("{\"max_position_embeddings\":32768}"));
        assertEquals(OptionalInt.of(2048), ModelMaxLength.derive("{\"max_position_embeddings\":4096,"
                + "\"seq_length\":2048}"));
        assertEquals(OptionalInt.of(131072), ModelMaxLength.derive("{\"max_position_embeddings\":32768,"
                + "\"rope_scaling\":{\"type\":\"yarn\",\"factor\":4.0,\"original_max_position_embeddings\":32768}}"));
        assertEquals(OptionalInt.of(131072), ModelMaxLength.derive("{\"max_position_embeddings\":131072,"
                + "\"rope_scaling\":{\"rope_type\":\"llama3\",\"factor\":8.0}}"));
        assertEquals(OptionalInt.of(4096), ModelMaxLength.derive("{\"text_config\":{\"max_position_embeddings\":"
                + "4096}}"));
        assertEquals(OptionalInt.empty(), ModelMaxLength.derive("not json"));
    }

    @Test
    void rayHeadAndWorkerUseGpustacksPorts() {
        assertEquals("ray start --head --port 40096 --ray-client-server-port 40097 --dashboard-port 8265 "
                + "--node-ip-address 10.0.0.1 --num-gpus 2 --node-manager-port 40098 --object-manager-port 40099 "
                + "--runtime-env-agent-port 40100 --dashboard-agent-grpc-port 40101 --dashboard-agent-listen-port "
                + "52365 --metrics-export-port 40103 --min-worker-port 40200 --max-worker-port 40999 --block",
                RayCommands.head(List.of("ray"), "10.0.0.1", 2, RayCommands.Ports.DEFAULT).redacted());
        assertTrue(RayCommands.worker(List.of("ray"), "10.0.0.1", "10.0.0.2", 2, RayCommands.Ports.DEFAULT)
                .redacted().startsWith("ray start --address 10.0.0.1:40096 --node-ip-address 10.0.0.2 "));
    }

    @Test
    void voxBoxCommandAndPlatformMatrix() {
        BackendCommand command = VoxBoxCommand.build(new VoxBoxCommand.Inputs(List.of("vox-box"), "0.0.0.0", 40003,
                "/m/whisper", "/d/vox", false, List.of("--device", "cuda:3", "-d")));
        assertEquals("vox-box start --model /m/whisper --data-dir /d/vox -d --device cpu --host 0.0.0.0 --port 40003",
                String.join(" ", command.args()));
        assertEquals(1, command.warnings().size());
        assertNull(VoxBoxCommand.platformProblem("faster-whisper-small", List.of("nvidia"), "linux", "arm64"));
        assertTrue(VoxBoxCommand.platformProblem("CosyVoice2-0.5B", List.of(), "linux", "arm64")
                .contains("Linux x86-64 and macOS"));
        assertNull(VoxBoxCommand.platformProblem("CosyVoice2-0.5B", List.of(), "darwin", "arm64"));
        assertTrue(VoxBoxCommand.platformProblem("whisper", List.of("ascend"), "linux", "amd64")
                .contains("NVIDIA GPUs or the CPU"));
    }

    @Test
    void mindieFeaturesEnvironmentAndRankTable() {
        MindieConfig.Result result = MindieConfig.build(new MindieConfig.Inputs("qwen", "/m", "0.0.0.0", 40004,
                List.of(0, 1), 2, 32768, null, null, "/d/c.json", null,
                Map.of("ASCEND_RT_VISIBLE_DEVICES", "3", "OMP_NUM_THREADS", "8", "NPU_MEMORY_FRACTION", "0.1"),
                List.of("--enable-lookahead", "--lookahead-level=5", "-tp", "2", "--enforce-eager",
                        "--npu-memory-fraction", "0.8", "--bogus")));
        String json = result.configJson();
        assertTrue(json.contains("\"allowAllZeroIpListening\" : true"), json);
        assertTrue(json.contains("\"npuDeviceIds\" : [ [ 0, 1 ] ]"), json);
        assertTrue(json.contains("\"maxSeqLen\" : 8192"), json);
        assertTrue(json.contains("\"speculationGamma\" : 40"), json);
        assertTrue(json.contains("\"tp\" : 2"), json);
        assertTrue(json.contains("\\\"plugin_type\\\":\\\"la\\\""), json);
        Map<String, String> env = result.environment();
        assertEquals("8", env.get("OMP_NUM_THREADS"), "a default the user may change");
        assertEquals("0.8", env.get("NPU_MEMORY_FRACTION"), "from --npu-memory-fraction, not the user's env");
        assertEquals("1", env.get("ASCEND_LAUNCH_BLOCKING"));
        assertEquals("0", env.get("MINDIE_ASYNC_SCHEDULING_ENABLE"));
        assertTrue(!env.containsKey("ASCEND_RT_VISIBLE_DEVICES"));
        assertEquals(List.of("backend parameter --bogus was ignored: it is not a MindIE parameter",
                "env ASCEND_RT_VISIBLE_DEVICES was removed: MindIE gets its devices and ranks from the agent's "
                        + "config and rank table",
                "env NPU_MEMORY_FRACTION was overridden: the agent sets it for MindIE"), result.warnings());

        String table = MindieConfig.rankTable(List.of(
                new MindieConfig.RankServer("10.0.0.1", List.of(new MindieConfig.RankDevice(0, "192.168.1.1"))),
                new MindieConfig.RankServer("10.0.0.2", List.of(new MindieConfig.RankDevice(0, "192.168.1.2")))));
        assertTrue(table.contains("\"server_count\" : \"2\""), table);
        assertTrue(table.contains("\"rank_id\" : \"1\""), table);
        assertTrue(table.contains("\"status\" : \"completed\""), table);
    }

    @Test
    void missingBinariesSayWhatToInstall() {
        BinaryChoice none = BackendBinaries.choose(LaunchPlanner.VLLM, Optional.empty(), n -> Optional.empty(),
                f -> false);
        assertEquals("no vllm backend on this worker: vllm is not on the search path. To fix: install vLLM (pip "
                + "install vllm), or set gpufleet.worker.vllm.command (GPUFLEET_WORKER_VLLM_COMMAND) to the command "
                + "that runs it.", none.problem());
        assertEquals(List.of(BackendBinaries.MINDIE_DAEMON), BackendBinaries.choose(LaunchPlanner.MINDIE,
                Optional.empty(), n -> Optional.empty(), BackendBinaries.MINDIE_DAEMON::equals).command());
        assertEquals(List.of("python", "-m", "vox_box"), BackendBinaries.choose(LaunchPlanner.VOX_BOX,
                Optional.of("python -m vox_box"), n -> Optional.of("/x"), f -> true).command());
    }

    @Test
    void versionsAreAskedWithABoundAndCached() throws Exception {
        BinaryVersions versions = new BinaryVersions(java.time.Duration.ofSeconds(5));
        String java = ProcessHandle.current().info().command().orElseThrow();
        String version = versions.of(List.of(java));
        assertTrue(version.matches("(openjdk|java) .*"), version);
        assertTrue(version == versions.of(List.of(java)), "cached");
        assertTrue(versions.of(List.of("/no/such/binary")).startsWith("unknown ("));
    }
}
