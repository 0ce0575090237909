package dev.gpufleet.worker.instances;

import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.InstanceState;
import dev.gpufleet.worker.processes.Leftover;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

import static dev.gpufleet.worker.instances.Instances.ME;
import static dev.gpufleet.worker.instances.Instances.OTHER;
import static org.junit.jupiter.api.Assertions.assertEquals;

class AdoptionTest {
    private static final Leftover LEFT = new Leftover(4242, 1_700_000_000_000L, 40001, 2, 512, "i-1");

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("still placed here, same restart", Instances.placed("i-1", ME, InstanceState.RUNNING, 2),
                        LEFT, false, Adoption.Kind.ADOPT, "the scheduler still places restart 2 here (RUNNING)"),
                Arguments.of("unreachable while the agent was down", Instances.placed("i-1", ME,
                        InstanceState.UNREACHABLE, 2), LEFT, false, Adoption.Kind.ADOPT,
                        "the scheduler still places restart 2 here (UNREACHABLE)"),
                Arguments.of("crashed mid-start", Instances.placed("i-1", ME, InstanceState.STARTING, 2), LEFT, true,
                        Adoption.Kind.ADOPT, "the scheduler still places restart 2 here (STARTING)"),
                Arguments.of("the scheduler restarted it meanwhile", Instances.placed("i-1", ME,
                        InstanceState.SCHEDULED, 3), LEFT, false, Adoption.Kind.STOP,
                        "it is restart 2 and the scheduler wants restart 3"),
                Arguments.of("an older record of the instance read first: wait for the rest of the topic",
                        Instances.placed("i-1", ME, InstanceState.RUNNING, 1), LEFT, false, Adoption.Kind.WAIT,
                        "it is restart 2 and the scheduler's word read so far is restart 1"),
                Arguments.of("still the older record after the grace", Instances.placed("i-1", ME,
                        InstanceState.RUNNING, 1), LEFT, true, Adoption.Kind.STOP,
                        "it is restart 2 and the scheduler wants restart 1"),
                Arguments.of("moved", Instances.placed("i-1", OTHER, InstanceState.SCHEDULED, 2), LEFT, false,
                        Adoption.Kind.STOP, "the instance moved to worker w-other-name"),
                Arguments.of("unplaced", Instances.placed("i-1", null, InstanceState.PENDING, 2), LEFT, false,
                        Adoption.Kind.STOP, "the instance is no longer placed on a worker"),
                Arguments.of("in error at the scheduler", Instances.placed("i-1", ME, InstanceState.ERROR, 2), LEFT,
                        false, Adoption.Kind.STOP, "the instance is ERROR"),
                Arguments.of("not heard of yet", null, LEFT, false, Adoption.Kind.WAIT,
                        "the scheduler has not said anything about it yet"),
                Arguments.of("not claimed within the grace", null, LEFT, true, Adoption.Kind.STOP,
                        "the scheduler did not claim it"),
                Arguments.of("pid file of an older agent", Instances.placed("i-1", ME, InstanceState.RUNNING, 2),
                        new Leftover(4242, 1L, -1, 0, 0, null), false, Adoption.Kind.STOP,
                        "its pid file does not say which instance and port it serves"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void decides(String name, InstanceChanged instance, Leftover leftover, boolean graceOver, Adoption.Kind kind,
                 String reason) {
        Map<String, InstanceChanged> instances = new HashMap<>();
        if (instance != null) {
            instances.put(instance.instanceId(), instance);
        }
        assertEquals(new Adoption.Verdict(kind, reason), Adoption.decide(ME, instances, leftover, graceOver));
    }

    static Stream<Arguments> pidFiles() {
        return Stream.of(
                Arguments.of("4242 1700000000000 40001 2 512 i-1\n", LEFT),
                Arguments.of("4242 1700000000000 40001 2 512 id with spaces\n",
                        new Leftover(4242, 1_700_000_000_000L, 40001, 2, 512, "id with spaces")),
                Arguments.of("4242 1700000000000 40001/51000 2 512 i-1\n",
                        new Leftover(4242, 1_700_000_000_000L, 40001, 2, 512, "i-1", 51000)),
                Arguments.of("4242 1700000000000\n", new Leftover(4242, 1_700_000_000_000L, -1, 0, 0, null)),
                Arguments.of("", null),
                Arguments.of("garbage", null),
                Arguments.of("-1 5", null),
                Arguments.of("4242 1700000000000 port 2 512 i-1", null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("pidFiles")
    void readsPidFiles(String text, Leftover expected) {
        assertEquals(expected, Leftover.parse(text).orElse(null));
        if (expected != null && expected.adoptable()) {
            assertEquals(expected, Leftover.parse(expected.line()).orElseThrow(), "round trip");
        }
    }
}
