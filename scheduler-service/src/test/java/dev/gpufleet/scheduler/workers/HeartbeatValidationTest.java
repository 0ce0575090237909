package dev.gpufleet.scheduler.workers;

import dev.gpufleet.events.GpuDevice;
import dev.gpufleet.events.ObservedInstance;
import dev.gpufleet.events.WorkerReported;
import dev.gpufleet.events.WorkerState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HeartbeatValidationTest {
    private static final Instant NOW = Instant.parse("2026-03-01T10:00:00Z");
    private static final long GIB = 1L << 30;
    private static final long H100 = 80 * GIB;

    static GpuDevice h100(int index, long used) {
        return new GpuDevice(index, "nvidia", "cuda", "NVIDIA H100 80GB HBM3", "GPU-" + index, H100, used, 12.0);
    }

    /** A two-H100 node as its agent reports it: 256 GiB RAM, 40 GiB in use, one instance running. */
    static WorkerReported node(UnaryOperator<Builder> change) {
        return change.apply(new Builder()).build();
    }

    static final class Builder {
        String id = "w-7f3c";
        String name = "gpu-node-3";
        String address = "10.0.4.13";
        int cores = 64;
        long ramTotal = 256 * GIB;
        long ramUsed = 40 * GIB;
        List<GpuDevice> gpus = List.of(h100(0, 2 * GIB), h100(1, 30 * GIB));

        Builder id(String v) { id = v; return this; }
        Builder name(String v) { name = v; return this; }
        Builder address(String v) { address = v; return this; }
        Builder cores(int v) { cores = v; return this; }
        Builder ram(long total, long used) { ramTotal = total; ramUsed = used; return this; }
        Builder gpus(GpuDevice... v) { gpus = List.of(v); return this; }

        WorkerReported build() {
            return new WorkerReported(id, name, address, 10150, "linux", "amd64", Map.of("zone", "eu-1"), cores,
                    17.5, ramTotal, ramUsed, gpus, WorkerState.READY, null,
                    List.of(new ObservedInstance("5d0c9a52-9a4e-4b8e-9f7e-3f1b2c6d7e80",
                            dev.gpufleet.events.InstanceState.RUNNING)), 5);
        }
    }

    /** The same node's previous heartbeat, {@code secondsAgo} before NOW, in {@code state}. */
    static HeartbeatValidation.Held heldFrom(WorkerReported report, WorkerState state, long secondsAgo) {
        return new HeartbeatValidation.Held(report.name(), report.address(), report.gpus(), state,
                NOW.minusSeconds(secondsAgo), report.heartbeatIntervalSeconds());
    }

    static Arguments row(String why, HeartbeatValidation.Held held, WorkerReported report, WorkerReported expected,
                         List<String> reasons) {
        return Arguments.of(why, held, report, expected, reasons);
    }

    static Stream<Arguments> corrections() {
        WorkerReported healthy = node(b -> b);
        return Stream.of(
                row("a sound heartbeat of a new worker is taken as it is", null, healthy, healthy, List.of()),
                row("a sound heartbeat of a known worker is taken as it is", heldFrom(healthy, WorkerState.READY, 5),
                        healthy, healthy, List.of()),
                row("negative RAM total: no RAM to place on", null, node(b -> b.ram(-1, 40 * GIB)),
                        node(b -> b.ram(0, 0)),
                        List.of("memory_total_bytes -1 is negative; taken as 0",
                                "memory_used_bytes 42949672960 is more than the total 0; taken as 0")),
                row("negative RAM used: taken as all in use", null, node(b -> b.ram(256 * GIB, -4096)),
                        node(b -> b.ram(256 * GIB, 256 * GIB)),
                        List.of("memory_used_bytes -4096 is negative; taken as all 274877906944 in use")),
                row("RAM used above total: capped", null, node(b -> b.ram(256 * GIB, 300 * GIB)),
                        node(b -> b.ram(256 * GIB, 256 * GIB)),
                        List.of("memory_used_bytes 322122547200 is more than the total 274877906944; taken as "
                                + "274877906944")),
                row("negative CPU cores", null, node(b -> b.cores(-8)), node(b -> b.cores(0)),
                        List.of("cpu_cores -8 is negative; taken as 0")),
                row("a GPU with negative total is left out, the other stays", null,
                        node(b -> b.gpus(h100(0, GIB), new GpuDevice(1, "nvidia", "cuda", "NVIDIA H100 80GB HBM3",
                                "GPU-1", -1, 0, 0))),
                        node(b -> b.gpus(h100(0, GIB))),
                        List.of("GPU 1 (NVIDIA H100 80GB HBM3): memory_total_bytes -1 is negative; GPU left out")),
                row("a GPU's negative used is taken as all in use", null,
                        node(b -> b.gpus(h100(0, -5), h100(1, GIB))), node(b -> b.gpus(h100(0, H100), h100(1, GIB))),
                        List.of("GPU 0 (NVIDIA H100 80GB HBM3): memory_used_bytes -5 is negative; taken as all "
                                + H100 + " in use")),
                row("a GPU's used above its total is capped", null,
                        node(b -> b.gpus(h100(0, H100 + 1))), node(b -> b.gpus(h100(0, H100))),
                        List.of("GPU 0 (NVIDIA H100 80GB HBM3): memory_used_bytes " + (H100 + 1)
                                + " is more than the total " + H100 + "; taken as " + H100)),
                row("duplicate GPU indexes: every device with that index is left out", null,
                        node(b -> b.gpus(h100(0, GIB), h100(1, GIB), h100(1, 2 * GIB), h100(2, GIB))),
                        node(b -> b.gpus(h100(0, GIB), h100(2, GIB))),
                        List.of("GPU index 1 is reported 2 times; all of them left out")),
                row("a negative GPU index is left out", null,
                        node(b -> b.gpus(h100(-1, GIB), h100(0, GIB))), node(b -> b.gpus(h100(0, GIB))),
                        List.of("GPU -1 (NVIDIA H100 80GB HBM3): index is negative; GPU left out")),
                row("a GPU total that changed since the last heartbeat: the newest is used, and said so",
                        heldFrom(healthy, WorkerState.READY, 5),
                        node(b -> b.gpus(h100(0, 2 * GIB), new GpuDevice(1, "nvidia", "cuda",
                                "NVIDIA H100 80GB HBM3", "GPU-1", 40 * GIB, 30 * GIB, 12.0))),
                        node(b -> b.gpus(h100(0, 2 * GIB), new GpuDevice(1, "nvidia", "cuda",
                                "NVIDIA H100 80GB HBM3", "GPU-1", 40 * GIB, 30 * GIB, 12.0))),
                        List.of("GPU 1 (NVIDIA H100 80GB HBM3): memory_total_bytes changed from " + H100 + " to "
                                + 40 * GIB + " since the last heartbeat; using the newest")),
                row("the same host at a new address once the old one went silent", heldFrom(healthy,
                        WorkerState.UNREACHABLE, 60), node(b -> b.address("10.0.4.99")),
                        node(b -> b.address("10.0.4.99")), List.of()),
                row("another host may take an id over once its holder has been silent for 3 intervals",
                        heldFrom(healthy, WorkerState.READY, 16), node(b -> b.name("gpu-node-9")),
                        node(b -> b.name("gpu-node-9")), List.of()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corrections")
    void correctsImpossibleValues(String why, HeartbeatValidation.Held held, WorkerReported report,
                                  WorkerReported expected, List<String> reasons) {
        HeartbeatValidation.Verdict verdict = HeartbeatValidation.check(report, held, NOW);
        assertTrue(verdict.accepted(), verdict::toString);
        assertEquals(expected, verdict.heartbeat());
        assertEquals(reasons, verdict.reasons());
    }

    static Stream<Arguments> rejections() {
        WorkerReported first = node(b -> b);
        return Stream.of(
                Arguments.of("another host name under a live worker's id", heldFrom(first, WorkerState.READY, 3),
                        node(b -> b.name("gpu-node-9").address("10.0.4.19")),
                        "worker id w-7f3c belongs to gpu-node-3 at 10.0.4.13, which reported 3s ago; the heartbeat "
                                + "from gpu-node-9 at 10.0.4.19 is ignored"),
                Arguments.of("same name from another address while the first is fresh",
                        heldFrom(first, WorkerState.NOT_READY, 15), node(b -> b.address("10.0.4.99")),
                        "worker id w-7f3c belongs to gpu-node-3 at 10.0.4.13, which reported 15s ago; the heartbeat "
                                + "from gpu-node-3 at 10.0.4.99 is ignored"),
                Arguments.of("a cordoned worker's id is just as taken", heldFrom(first, WorkerState.MAINTENANCE, 1),
                        node(b -> b.name("intruder")),
                        "worker id w-7f3c belongs to gpu-node-3 at 10.0.4.13, which reported 1s ago; the heartbeat "
                                + "from intruder at 10.0.4.13 is ignored"),
                Arguments.of("no worker id", null, node(b -> b.id(" ")), "workerId is missing"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rejections")
    void rejects(String why, HeartbeatValidation.Held held, WorkerReported report, String reason) {
        HeartbeatValidation.Verdict verdict = HeartbeatValidation.check(report, held, NOW);
        assertFalse(verdict.accepted());
        assertNull(verdict.heartbeat());
        assertEquals(List.of(reason), verdict.reasons());
    }

    @Test
    void aSoundHeartbeatIsPassedOnUntouched() {
        WorkerReported report = node(b -> b);
        assertSame(report, HeartbeatValidation.check(report, null, NOW).heartbeat());
    }
}
