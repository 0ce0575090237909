package dev.gpufleet.gateway.routing;

import dev.gpufleet.events.LaunchPlan;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class InstanceSlotsTest {
    private static final int DEFAULT = 64;

    private static LaunchPlan plan(String backend, String... parameters) {
        return new LaunchPlan(backend, null, null, List.of(parameters), Map.of(), List.of());
    }

    record Case(String what, LaunchPlan plan, Map<String, Integer> configured, int slots) {
    }

    @Test
    void theSlotsComeFromTheParametersThenTheBackendThenTheDefault() {
        List<Case> cases = List.of(
                new Case("no launch plan", null, Map.of(), DEFAULT),
                new Case("llama-box without -np: the agent's 4", plan("llama-box"), Map.of(), 4),
                new Case("-np as two words", plan("llama-box", "-np", "8"), Map.of(), 8),
                new Case("--parallel=N", plan("llama-box", "--parallel=6"), Map.of(), 6),
                new Case("\"-np 3\" in one entry", plan("llama-box", "-np 3"), Map.of(), 3),
                new Case("the last one counts, as for the agent", plan("llama-box", "-np", "2", "-c", "4096",
                        "--parallel", "5"), Map.of(), 5),
                new Case("not a number: the backend's default", plan("llama-box", "-np", "many"), Map.of(), 4),
                new Case("zero: the backend's default", plan("llama-box", "-np", "0"), Map.of(), 4),
                new Case("a flag at the end without its value", plan("llama-box", "-np"), Map.of(), 4),
                new Case("configured for the backend", plan("llama-box"), Map.of("llama-box", 2), 2),
                new Case("the parameter beats the configuration", plan("llama-box", "-np", "8"),
                        Map.of("llama-box", 2), 8),
                new Case("vLLM's --max-num-seqs", plan("vllm", "--max-num-seqs", "32"), Map.of(), 32),
                new Case("vLLM without it: its 256", plan("vllm", "--max-model-len", "8192"), Map.of(), 256),
                new Case("-np means nothing to vLLM", plan("vllm", "-np", "3"), Map.of(), 256),
                new Case("a backend known only to the configuration", plan("vox-box"), Map.of("vox-box", 1), 1),
                new Case("a backend nobody knows", plan("mindie"), Map.of(), DEFAULT),
                new Case("a configured 0 is not a size", plan("mindie"), Map.of("mindie", 0), DEFAULT));
        for (Case c : cases) {
            assertEquals(c.slots(), InstanceSlots.of(c.plan(), c.configured(), DEFAULT), c.what());
        }
    }

    record Share(String what, int slots, int gateways, int share) {
    }

    @Test
    void gatewaysSharingAnInstanceTogetherStayWithinItsSlots() {
        List<Share> cases = List.of(
                new Share("one gateway: every slot", 4, 1, 4),
                new Share("two: half each", 4, 2, 2),
                new Share("an odd number rounds down", 5, 2, 2),
                new Share("three share eight", 8, 3, 2),
                new Share("fewer slots than gateways: one each, the least that serves", 1, 2, 1),
                new Share("gateways set to 0 counts as one", 4, 0, 4));
        for (Share c : cases) {
            assertEquals(c.share(), InstanceSlots.share(c.slots(), c.gateways()), c.what());
        }
    }
}
