package dev.gpufleet.worker.instances;

import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.InstanceState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static dev.gpufleet.worker.instances.Instances.ME;
import static dev.gpufleet.worker.instances.Instances.OTHER;
import static dev.gpufleet.worker.instances.Instances.placed;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.params.provider.Arguments.arguments;

class ReconcilerTest {

    /** Decides for one instance "i" (absent = deleted) and what is held for it (null = nothing). */
    private static List<String> decide(InstanceChanged instance, Held held) {
        Map<String, InstanceChanged> instances = new HashMap<>();
        if (instance != null) {
            instances.put(instance.instanceId(), instance);
        }
        List<String> actions = new ArrayList<>();
        for (Action action : Reconciler.decide(ME, instances, held == null ? List.of() : List.of(held))) {
            actions.add(action.kind() + " " + action.instanceId() + ": " + action.reason());
        }
        return actions;
    }

    private static Held held(Held.Phase phase, int restartCount) {
        return new Held("i", phase, restartCount);
    }

    static Stream<Arguments> decisions() {
        return Stream.of(
                // nothing held yet: start what is placed here, and only that
                arguments("SCHEDULED here, nothing held", placed("i", ME, InstanceState.SCHEDULED, 0), null,
                        List.of("START i: placed on this worker, SCHEDULED")),
                arguments("RUNNING here after an agent restart", placed("i", ME, InstanceState.RUNNING, 2), null,
                        List.of("START i: placed on this worker, RUNNING")),
                arguments("STARTING here after an agent restart", placed("i", ME, InstanceState.STARTING, 0), null,
                        List.of("START i: placed on this worker, STARTING")),
                arguments("DOWNLOADING here after an agent restart", placed("i", ME, InstanceState.DOWNLOADING, 0),
                        null, List.of("START i: placed on this worker, DOWNLOADING")),
                arguments("UNREACHABLE here: the worker is back", placed("i", ME, InstanceState.UNREACHABLE, 0), null,
                        List.of("START i: placed on this worker, UNREACHABLE")),
                arguments("ERROR here: wait for the scheduler's restart", placed("i", ME, InstanceState.ERROR, 0),
                        null, List.of()),
                arguments("PENDING (not placed)", placed("i", null, InstanceState.PENDING, 0), null, List.of()),
                arguments("placed on another worker", placed("i", OTHER, InstanceState.SCHEDULED, 0), null,
                        List.of()),
                arguments("here but without a launch plan",
                        Instances.instance("i", ME, InstanceState.SCHEDULED, 0, null), null, List.of()),
                arguments("deleted, nothing held", null, null, List.of()),

                // a backend runs: keep it, or stop it when it is no longer wanted here
                arguments("RUNNING and held RUNNING", placed("i", ME, InstanceState.RUNNING, 0),
                        held(Held.Phase.RUNNING, 0), List.of()),
                arguments("the scheduler has not seen STARTING yet", placed("i", ME, InstanceState.SCHEDULED, 0),
                        held(Held.Phase.STARTING, 0), List.of()),
                arguments("deleted while running", null, held(Held.Phase.RUNNING, 0),
                        List.of("STOP i: the instance was deleted")),
                arguments("moved to another worker", placed("i", OTHER, InstanceState.SCHEDULED, 0),
                        held(Held.Phase.RUNNING, 0), List.of("STOP i: the instance moved to worker w-other-name")),
                arguments("unplaced (PENDING) while starting", placed("i", null, InstanceState.PENDING, 0),
                        held(Held.Phase.STARTING, 0),
                        List.of("STOP i: the instance is no longer placed on a worker")),
                arguments("the scheduler says ERROR while it runs", placed("i", ME, InstanceState.ERROR, 0),
                        held(Held.Phase.RUNNING, 0), List.of("STOP i: the instance is ERROR")),
                arguments("the restart count grew while it runs: restart", placed("i", ME,
                        InstanceState.SCHEDULED, 1), held(Held.Phase.RUNNING, 0),
                        List.of("STOP i: the scheduler asked for restart 1")),
                arguments("being stopped: wait", null, held(Held.Phase.STOPPING, 0), List.of()),
                arguments("being stopped and placed again: wait", placed("i", ME, InstanceState.SCHEDULED, 1),
                        held(Held.Phase.STOPPING, 0), List.of()),

                // it failed here: only the scheduler's restart (a higher restart count) starts it again
                arguments("failed, the scheduler has not answered", placed("i", ME, InstanceState.RUNNING, 0),
                        held(Held.Phase.FAILED, 0), List.of()),
                arguments("failed, the scheduler says ERROR", placed("i", ME, InstanceState.ERROR, 0),
                        held(Held.Phase.FAILED, 0), List.of()),
                arguments("failed, the scheduler restarts it", placed("i", ME, InstanceState.SCHEDULED, 1),
                        held(Held.Phase.FAILED, 0), List.of("START i: restart 1 after an error")),
                arguments("failed, then deleted", null, held(Held.Phase.FAILED, 0),
                        List.of("FORGET i: the instance was deleted")),
                arguments("failed, then moved", placed("i", OTHER, InstanceState.SCHEDULED, 1),
                        held(Held.Phase.FAILED, 0), List.of("FORGET i: the instance moved to worker w-other-name")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("decisions")
    void decides(String description, InstanceChanged instance, Held held, List<String> expected) {
        assertEquals(expected, decide(instance, held));
    }

    @Test
    void decidesForEveryInstanceInIdOrder() {
        Map<String, InstanceChanged> instances = Map.of(
                "b", placed("b", ME, InstanceState.SCHEDULED, 0),
                "a", placed("a", ME, InstanceState.SCHEDULED, 0),
                "c", placed("c", ME, InstanceState.RUNNING, 0),
                "x", placed("x", OTHER, InstanceState.RUNNING, 0));
        List<Held> held = List.of(new Held("c", Held.Phase.RUNNING, 0), new Held("gone", Held.Phase.STARTING, 0));

        List<Action> actions = Reconciler.decide(ME, instances, held);

        assertEquals(List.of("STOP gone", "START a", "START b"),
                actions.stream().map(a -> a.kind() + " " + a.instanceId()).toList());
        assertEquals(instances.get("a"), actions.get(1).instance());
    }
}
