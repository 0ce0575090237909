package dev.gpufleet.scheduler.instances;

import dev.gpufleet.events.InstanceState;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

import static dev.gpufleet.events.InstanceState.PENDING;
import static dev.gpufleet.events.InstanceState.RUNNING;
import static dev.gpufleet.events.InstanceState.SCHEDULED;
import static org.junit.jupiter.api.Assertions.assertEquals;

class ReplicaReconciliationTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    /** An instance named by a digit: its id ends in that digit, it was created that many seconds after T0. */
    static ReplicaReconciliation.Current inst(int n, InstanceState state) {
        return new ReplicaReconciliation.Current(id(n), state, T0.plusSeconds(n));
    }

    static UUID id(int n) {
        return UUID.fromString("00000000-0000-0000-0000-00000000000" + n);
    }

    static Arguments row(String why, int replicas, boolean deleted, List<ReplicaReconciliation.Current> current,
                         int create, List<Integer> delete) {
        return Arguments.of(why, replicas, deleted, current, create, delete);
    }

    static Stream<Arguments> table() {
        return Stream.of(
                row("new model gets one instance per replica", 2, false, List.of(), 2, List.of()),
                row("zero replicas, nothing there", 0, false, List.of(), 0, List.of()),
                row("in step: nothing to do", 2, false, List.of(inst(1, PENDING), inst(2, RUNNING)), 0, List.of()),
                row("scale up adds only the missing ones", 3, false, List.of(inst(1, RUNNING)), 2, List.of()),
                row("scale down removes the newest when all are PENDING", 1, false,
                        List.of(inst(1, PENDING), inst(2, PENDING)), 0, List.of(2)),
                row("scale down removes PENDING before running ones, even older PENDING", 2, false,
                        List.of(inst(1, PENDING), inst(2, RUNNING), inst(3, RUNNING)), 0, List.of(1)),
                row("then the newest of the running ones", 1, false,
                        List.of(inst(1, RUNNING), inst(2, PENDING), inst(3, SCHEDULED), inst(4, RUNNING)), 0,
                        List.of(2, 4, 3)),
                row("scale to zero removes all", 0, false, List.of(inst(1, RUNNING), inst(2, PENDING)), 0,
                        List.of(2, 1)),
                row("deleted model removes all whatever its replicas", 3, true,
                        List.of(inst(1, RUNNING), inst(2, RUNNING)), 0, List.of(2, 1)),
                row("deleted model with nothing left: nothing to do", 3, true, List.of(), 0, List.of()),
                row("negative replicas count as zero", -1, false, List.of(inst(1, PENDING)), 0, List.of(1)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void plans(String why, int replicas, boolean deleted, List<ReplicaReconciliation.Current> current, int create,
               List<Integer> delete) {
        ReplicaReconciliation.Plan plan = ReplicaReconciliation.plan(
                new ReplicaReconciliation.Desired(replicas, deleted), current);
        assertEquals(create, plan.create(), "create");
        assertEquals(delete.stream().map(ReplicaReconciliationTest::id).toList(), plan.delete(), "delete");
    }

    @ParameterizedTest(name = "ties on creation time are broken by id: {0}")
    @MethodSource("tieTable")
    void breaksTiesByIdSoTheChoiceIsStable(String why, List<ReplicaReconciliation.Current> current, UUID expected) {
        assertEquals(List.of(expected),
                ReplicaReconciliation.plan(new ReplicaReconciliation.Desired(1, false), current).delete());
    }

    static Stream<Arguments> tieTable() {
        var a = new ReplicaReconciliation.Current(id(1), PENDING, T0);
        var b = new ReplicaReconciliation.Current(id(2), PENDING, T0);
        return Stream.of(Arguments.of("a, b", List.of(a, b), id(2)), Arguments.of("b, a", List.of(b, a), id(2)));
    }
}
