package dev.gpufleet.worker.instances;

import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.LaunchPlan;
import dev.gpufleet.events.ModelSource;
import dev.gpufleet.events.ResourceClaim;
import dev.gpufleet.events.SubordinateWorker;
import dev.gpufleet.worker.instances.RpcServerPlan.Action;
import dev.gpufleet.worker.instances.RpcServerPlan.Held;
import dev.gpufleet.worker.instances.RpcServerPlan.Key;
import dev.gpufleet.worker.instances.RpcServerPlan.Kind;
import dev.gpufleet.worker.instances.RpcServerPlan.Phase;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static dev.gpufleet.worker.instances.Instances.ME;
import static dev.gpufleet.worker.instances.Instances.OTHER;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The helper processes a subordinate worker runs (llama.cpp RPC servers, Ray worker nodes): (instances, held
 * processes) → actions, as "KIND key" lines.
 */
class RpcServerPlanTest {
    private static final String THIRD = "w-third";

    private static InstanceChanged lending(String id, String backend, InstanceState state, int restartCount,
                                           String mainWorker, SubordinateWorker... subordinates) {
        return new InstanceChanged(id, id + "-name", "m", "demo", mainWorker, mainWorker, List.of(0),
                List.of(subordinates), new ResourceClaim(1L << 30, Map.of()), state, null, null, restartCount,
                new LaunchPlan(backend, null, ModelSource.localPath("/models/" + id + ".gguf"), List.of(), Map.of(),
                        List.of("llm")));
    }

    private static SubordinateWorker sub(String workerId, Integer... gpus) {
        return new SubordinateWorker(workerId, List.of(gpus), null, "10.0.0.2");
    }

    private static Held held(String id, int gpu, Phase phase, int restartCount) {
        return new Held(new Key(id, gpu), phase, restartCount);
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("a placed llama-box instance lending two of this worker's GPUs starts one server each",
                        List.of(lending("i", "llama-box", InstanceState.SCHEDULED, 0, OTHER, sub(ME, 1, 0))),
                        List.of(), List.of("START i GPU 0", "START i GPU 1")),
                Arguments.of("only this worker's entry counts",
                        List.of(lending("i", null, InstanceState.STARTING, 0, OTHER, sub(THIRD, 0), sub(ME, 2))),
                        List.of(), List.of("START i GPU 2")),
                Arguments.of("held and wanted: nothing to do",
                        List.of(lending("i", "llama-box", InstanceState.RUNNING, 0, OTHER, sub(ME, 0))),
                        List.of(held("i", 0, Phase.RUNNING, 0)), List.of()),
                Arguments.of("a restart of the instance keeps a running server (only the main backend restarts)",
                        List.of(lending("i", "llama-box", InstanceState.SCHEDULED, 3, OTHER, sub(ME, 0))),
                        List.of(held("i", 0, Phase.RUNNING, 0)), List.of()),
                Arguments.of("deleted: stop",
                        List.of(), List.of(held("i", 0, Phase.RUNNING, 0)),
                        List.of("STOP i GPU 0 the instance was deleted")),
                Arguments.of("the instance is in ERROR: stop",
                        List.of(lending("i", "llama-box", InstanceState.ERROR, 0, OTHER, sub(ME, 0))),
                        List.of(held("i", 0, Phase.RUNNING, 0)), List.of("STOP i GPU 0 the instance is ERROR")),
                Arguments.of("a GPU no longer lent is stopped, a new one started",
                        List.of(lending("i", "llama-box", InstanceState.SCHEDULED, 1, OTHER, sub(ME, 1))),
                        List.of(held("i", 0, Phase.RUNNING, 0)),
                        List.of("STOP i GPU 0 this worker no longer lends GPU 0 to the instance", "START i GPU 1")),
                Arguments.of("this worker dropped from the subordinates",
                        List.of(lending("i", "llama-box", InstanceState.SCHEDULED, 1, OTHER, sub(THIRD, 0))),
                        List.of(held("i", 0, Phase.RUNNING, 0)),
                        List.of("STOP i GPU 0 this worker no longer lends GPUs to the instance")),
                Arguments.of("the main backend moved here: the lent servers stop",
                        List.of(lending("i", "llama-box", InstanceState.SCHEDULED, 1, ME, sub(ME, 0))),
                        List.of(held("i", 0, Phase.RUNNING, 0)),
                        List.of("STOP i GPU 0 the instance's main backend moved to this worker")),
                Arguments.of("unplaced: stop",
                        List.of(lending("i", "llama-box", InstanceState.PENDING, 1, null)),
                        List.of(held("i", 0, Phase.RUNNING, 0)), List.of("STOP i GPU 0 the instance is PENDING")),
                Arguments.of("vLLM across workers: one Ray worker node for all the GPUs lent, no RPC server",
                        List.of(lending("i", "vllm", InstanceState.SCHEDULED, 0, OTHER, sub(ME, 0, 1))),
                        List.of(), List.of("START i Ray worker")),
                Arguments.of("a running Ray worker stays through the instance's restart",
                        List.of(lending("i", "vllm", InstanceState.SCHEDULED, 2, OTHER, sub(ME, 0))),
                        List.of(new Held(Key.rayWorker("i"), Phase.RUNNING, 0)), List.of()),
                Arguments.of("a Ray worker stops when the instance is deleted",
                        List.of(), List.of(new Held(Key.rayWorker("i"), Phase.RUNNING, 0)),
                        List.of("STOP i Ray worker the instance was deleted")),
                Arguments.of("a Ray worker stops when the instance moves its main backend here",
                        List.of(lending("i", "vllm", InstanceState.SCHEDULED, 1, ME, sub(OTHER, 0))),
                        List.of(new Held(Key.rayWorker("i"), Phase.RUNNING, 0)),
                        List.of("STOP i Ray worker the instance's main backend moved to this worker")),
                Arguments.of("a backend change from vLLM to llama-box swaps the Ray worker for RPC servers",
                        List.of(lending("i", "llama-box", InstanceState.SCHEDULED, 1, OTHER, sub(ME, 0))),
                        List.of(new Held(Key.rayWorker("i"), Phase.RUNNING, 0)),
                        List.of("STOP i Ray worker the instance's backend is no longer vllm", "START i GPU 0")),
                Arguments.of("a failed Ray worker starts again at a higher restart count",
                        List.of(lending("i", "vllm", InstanceState.SCHEDULED, 1, OTHER, sub(ME, 0))),
                        List.of(new Held(Key.rayWorker("i"), Phase.FAILED, 0)), List.of("START i Ray worker")),
                Arguments.of("vox-box gets no helper process here, nor MindIE before the main one starts",
                        List.of(lending("i", "vox-box", InstanceState.SCHEDULED, 0, OTHER, sub(ME, 0)),
                                lending("j", "mindie", InstanceState.SCHEDULED, 0, OTHER, sub(ME, 0)),
                                lending("k", "ascend-mindie", InstanceState.DOWNLOADING, 0, OTHER, sub(ME, 0))),
                        List.of(), List.of()),
                Arguments.of("MindIE across workers: one MindIE node once the main worker's is STARTING",
                        List.of(lending("i", "mindie", InstanceState.STARTING, 0, OTHER, sub(ME, 0, 1)),
                                lending("j", "ascend-mindie", InstanceState.RUNNING, 0, OTHER, sub(ME, 2))),
                        List.of(), List.of("START i MindIE node", "START j MindIE node")),
                Arguments.of("a MindIE node stops when the main one restarts, and starts again with it",
                        List.of(lending("i", "mindie", InstanceState.SCHEDULED, 1, OTHER, sub(ME, 0))),
                        List.of(new Held(Key.mindieNode("i"), Phase.RUNNING, 0)),
                        List.of("STOP i MindIE node the instance is SCHEDULED: a subordinate's MindIE starts once the "
                                + "main worker's is STARTING")),
                Arguments.of("a failed MindIE node is forgotten when the instance fails, started at its restart",
                        List.of(lending("i", "mindie", InstanceState.ERROR, 0, OTHER, sub(ME, 0)),
                                lending("j", "mindie", InstanceState.STARTING, 1, OTHER, sub(ME, 0))),
                        List.of(new Held(Key.mindieNode("i"), Phase.FAILED, 0),
                                new Held(Key.mindieNode("j"), Phase.FAILED, 0)),
                        List.of("FORGET i MindIE node the instance is ERROR", "START j MindIE node")),
                Arguments.of("a failed server waits for the scheduler's restart",
                        List.of(lending("i", "llama-box", InstanceState.ERROR, 0, OTHER, sub(ME, 0)),
                                lending("j", "llama-box", InstanceState.SCHEDULED, 0, OTHER, sub(ME, 0))),
                        List.of(held("i", 0, Phase.FAILED, 0), held("j", 0, Phase.FAILED, 0)),
                        List.of("FORGET i GPU 0 the instance is ERROR")),
                Arguments.of("a failed server starts again at a higher restart count",
                        List.of(lending("i", "llama-box", InstanceState.SCHEDULED, 1, OTHER, sub(ME, 0))),
                        List.of(held("i", 0, Phase.FAILED, 0)), List.of("START i GPU 0")),
                Arguments.of("a stopping server is left alone, and not started twice",
                        List.of(lending("i", "llama-box", InstanceState.SCHEDULED, 0, OTHER, sub(ME, 0))),
                        List.of(held("i", 0, Phase.STOPPING, 0)), List.of()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void decides(String description, List<InstanceChanged> instances, List<Held> held, List<String> expected) {
        Map<String, InstanceChanged> byId = instances.stream()
                .collect(Collectors.toMap(InstanceChanged::instanceId, i -> i));
        List<String> actions = RpcServerPlan.decide(ME, byId, held).stream().map(RpcServerPlanTest::line).toList();
        assertEquals(expected, actions, description);
    }

    private static String line(Action action) {
        return action.kind() + " " + action.key() + (action.kind() == Kind.START ? "" : " " + action.reason());
    }
}
