package dev.gpufleet.scheduler.instances;

import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.PlacementShape;
import dev.gpufleet.scheduler.instances.ReplicaReconciliation.Offload;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

import static dev.gpufleet.events.InstanceState.DOWNLOADING;
import static dev.gpufleet.events.InstanceState.ERROR;
import static dev.gpufleet.events.InstanceState.PENDING;
import static dev.gpufleet.events.InstanceState.STARTING;
import static dev.gpufleet.events.InstanceState.UNREACHABLE;
import static dev.gpufleet.scheduler.instances.ReplicaReconciliation.Offload.CPU_ONLY;
import static dev.gpufleet.scheduler.instances.ReplicaReconciliation.Offload.FULL;
import static dev.gpufleet.scheduler.instances.ReplicaReconciliation.Offload.PARTIAL;
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
                row("then the not-yet-running ones, then the newest of the running ones", 1, false,
                        List.of(inst(1, RUNNING), inst(2, PENDING), inst(3, SCHEDULED), inst(4, RUNNING)), 0,
                        List.of(2, 3, 4)),
                row("scale to zero removes all", 0, false, List.of(inst(1, RUNNING), inst(2, PENDING)), 0,
                        List.of(2, 1)),
                row("deleted model removes all whatever its replicas", 3, true,
                        List.of(inst(1, RUNNING), inst(2, RUNNING)), 0, List.of(2, 1)),
                row("deleted model with nothing left: nothing to do", 3, true, List.of(), 0, List.of()),
                row("negative replicas count as zero", -1, false, List.of(inst(1, PENDING)), 0, List.of(1)),
                // make before break: an instance and the replacement placed to take over from it are one replica
                row("a replacement beyond the replicas is no surplus", 1, false,
                        List.of(inst(1, RUNNING), replacing(2, PENDING, 1)), 0, List.of()),
                row("nor does it stand in for a missing replica", 2, false,
                        List.of(inst(1, RUNNING), replacing(2, STARTING, 1)), 1, List.of()),
                row("a replica that goes takes its replacement with it", 1, false,
                        List.of(inst(1, RUNNING), replacing(2, STARTING, 1), inst(3, PENDING)), 0, List.of(3)),
                row("scale to zero in the middle of a move removes both", 0, false,
                        List.of(inst(1, RUNNING), replacing(2, STARTING, 1)), 0, List.of(1, 2)),
                row("a deleted model's replacement goes too", 1, true,
                        List.of(replacing(2, RUNNING, 1), inst(1, RUNNING)), 0, List.of(1, 2)),
                row("a replacement of one replaced in turn goes with it", 0, false,
                        List.of(inst(1, RUNNING), replacing(2, STARTING, 1), replacing(3, PENDING, 2)), 0,
                        List.of(1, 2, 3)),
                row("one whose instance is gone is an ordinary replica", 1, false,
                        List.of(replacing(2, RUNNING, 1)), 0, List.of()),
                row("and counts like one", 1, false,
                        List.of(replacing(2, RUNNING, 1), inst(3, PENDING)), 0, List.of(3)));
    }

    /** A digit-named instance placed to take over from instance {@code replaces}. */
    static ReplicaReconciliation.Current replacing(int n, InstanceState state, int replaces) {
        return new ReplicaReconciliation.Current(id(n), state, T0.plusSeconds(n), null, null, id(replaces));
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

    /** Placed instances: digit-named as {@link #inst}, with how far they are offloaded and their score. */
    static ReplicaReconciliation.Current placed(int n, InstanceState state, Offload offload, Double score) {
        return new ReplicaReconciliation.Current(id(n), state, T0.plusSeconds(n), offload, score);
    }

    static Stream<Arguments> scaleDownTable() {
        return Stream.of(
                Arguments.of("ERROR before UNREACHABLE before PENDING before starting ones before RUNNING",
                        List.of(placed(1, RUNNING, CPU_ONLY, null), placed(2, STARTING, FULL, 9.0),
                                inst(3, PENDING), placed(4, UNREACHABLE, FULL, 9.0), placed(5, ERROR, FULL, 9.0),
                                placed(6, DOWNLOADING, FULL, 9.0), placed(7, SCHEDULED, FULL, 9.0)),
                        List.of(5, 4, 3, 7, 6, 2, 1)),
                Arguments.of("healthy ones: CPU only, then partial offload, then full GPU, even when older",
                        List.of(placed(1, RUNNING, FULL, 1.0), placed(2, RUNNING, PARTIAL, 1.0),
                                placed(3, RUNNING, CPU_ONLY, 1.0), placed(4, RUNNING, FULL, 1.0)),
                        List.of(3, 2, 4, 1)),
                Arguments.of("same offload: lowest placement score first, unknown scores before known ones",
                        List.of(placed(1, RUNNING, FULL, 0.2), placed(2, RUNNING, FULL, 0.9),
                                placed(3, RUNNING, FULL, null), placed(4, RUNNING, FULL, 0.5)),
                        List.of(3, 1, 4, 2)),
                Arguments.of("offload ranks before score",
                        List.of(placed(1, RUNNING, FULL, 0.1), placed(2, RUNNING, PARTIAL, 0.9)),
                        List.of(2, 1)),
                Arguments.of("health ranks before offload",
                        List.of(placed(1, ERROR, FULL, 0.9), placed(2, RUNNING, CPU_ONLY, 0.1)),
                        List.of(1, 2)));
    }

    @ParameterizedTest(name = "scale to zero removes in this order: {0}")
    @MethodSource("scaleDownTable")
    void ranksSurplusInstancesLikeGpuStack(String why, List<ReplicaReconciliation.Current> current,
                                          List<Integer> order) {
        for (int keep = current.size() - 1; keep >= 0; keep--) {
            List<UUID> deleted = ReplicaReconciliation.plan(new ReplicaReconciliation.Desired(keep, false), current)
                    .delete();
            assertEquals(order.subList(0, current.size() - keep).stream().map(ReplicaReconciliationTest::id).toList(),
                    deleted, "keeping " + keep);
        }
    }

    static Stream<Arguments> offloadTable() {
        return Stream.of(
                Arguments.of(null, 0L, CPU_ONLY),
                Arguments.of(null, 1L << 30, FULL),
                Arguments.of(PlacementShape.Kind.CPU_ONLY, 0L, CPU_ONLY),
                Arguments.of(PlacementShape.Kind.PARTIAL_OFFLOAD, 1L << 30, PARTIAL),
                Arguments.of(PlacementShape.Kind.SINGLE_GPU, 1L << 30, FULL),
                Arguments.of(PlacementShape.Kind.MULTI_GPU, 1L << 30, FULL),
                Arguments.of(PlacementShape.Kind.DISTRIBUTED, 1L << 30, FULL));
    }

    @ParameterizedTest(name = "shape {0}, {1} GPU bytes: {2}")
    @MethodSource("offloadTable")
    void offloadComesFromTheShapeElseTheClaim(PlacementShape.Kind kind, long gpuBytes, Offload expected) {
        assertEquals(expected, Offload.of(kind, gpuBytes));
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
