package dev.gpufleet.scheduler.instances;

import dev.gpufleet.events.GpuDevice;
import dev.gpufleet.events.ResourceClaim;
import dev.gpufleet.events.SubordinateWorker;
import dev.gpufleet.scheduler.workers.GpuInventory;
import dev.gpufleet.scheduler.workers.Worker;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

class PlacementAddressesTest {
    static final long GIB = 1L << 30;

    static Worker worker(String id, String address, GpuDevice... gpus) {
        Worker worker = new Worker();
        worker.id = id;
        worker.address = address;
        worker.gpus = new GpuInventory(List.of(gpus));
        return worker;
    }

    static GpuDevice npu(int index, String deviceIp) {
        return new GpuDevice(index, "ascend", "npu", "Ascend 910B3", "0000:C" + index + ":00.0-chip0", 64 * GIB, 0,
                0.0, deviceIp);
    }

    static GpuDevice cuda(int index) {
        return new GpuDevice(index, "nvidia", "cuda", "NVIDIA H100", "GPU-" + index, 80 * GIB, 0, 0.0);
    }

    static final List<Worker> WORKERS = List.of(
            worker("main", "10.0.0.5", npu(0, "29.11.36.2"), npu(1, "29.11.36.3"), npu(2, null), npu(3, " ")),
            worker("sub", "10.0.0.6", npu(0, "29.11.37.2"), npu(1, "29.11.37.3")),
            worker("gpu", "10.0.0.7", cuda(0), cuda(1)),
            worker("silent", null, npu(0, "29.11.38.2")),
            worker("blank", " "));

    static Stream<Arguments> addresses() {
        return Stream.of(
                Arguments.of("main", "10.0.0.5"),
                Arguments.of("silent", null),
                Arguments.of("blank", null),
                Arguments.of("gone", null));
    }

    @ParameterizedTest
    @MethodSource("addresses")
    void theAddressIsTheOneTheWorkersHeartbeatGave(String workerId, String expected) {
        assertEquals(expected, PlacementAddresses.addressOf(workerId, WORKERS));
    }

    static Stream<Arguments> deviceIps() {
        return Stream.of(
                Arguments.of("main", List.of(0, 1), Map.of(0, "29.11.36.2", 1, "29.11.36.3")),
                Arguments.of("main", List.of(1), Map.of(1, "29.11.36.3")),
                Arguments.of("main", List.of(1, 2, 3), Map.of(1, "29.11.36.3")),
                Arguments.of("gpu", List.of(0, 1), Map.of()),
                Arguments.of("silent", List.of(0), Map.of(0, "29.11.38.2")),
                Arguments.of("gone", List.of(0), Map.of()));
    }

    @ParameterizedTest
    @MethodSource("deviceIps")
    void deviceIpsAreThoseOfTheAssignedGpusThatHaveOne(String workerId, List<Integer> gpus,
                                                       Map<Integer, String> expected) {
        assertEquals(expected, PlacementAddresses.deviceIps(workerId, gpus, WORKERS));
    }

    @Test
    void subordinatesGetTheirAddressAndTheDeviceIpsOfTheGpusTheyLend() {
        ResourceClaim claim = new ResourceClaim(0, Map.of(1, 60 * GIB));
        assertEquals(List.of(new SubordinateWorker("sub", List.of(1), claim, "10.0.0.6", Map.of(1, "29.11.37.3")),
                        new SubordinateWorker("gone", List.of(0), claim, null, Map.of())),
                PlacementAddresses.subordinates(List.of(new SubordinateWorker("sub", List.of(1), claim),
                        new SubordinateWorker("gone", List.of(0), claim)), WORKERS));
    }

    @Test
    void everyInstanceChangedOfAPlacedInstanceCarriesWhatWasRecordedAtPlacement() {
        ResourceClaim claim = new ResourceClaim(0, Map.of(0, 60 * GIB));
        SubordinateWorker sub = new SubordinateWorker("sub", List.of(0), claim, "10.0.0.6", Map.of(0, "29.11.37.2"));
        Instance instance = new Instance();
        instance.id = java.util.UUID.randomUUID();
        instance.workerId = "main";
        instance.state = dev.gpufleet.events.InstanceState.RUNNING;
        instance.assignment = new Assignment(List.of(0), claim, null, List.of(sub), 1.0, "why", "10.0.0.5",
                Map.of(0, "29.11.36.2"));

        dev.gpufleet.events.InstanceChanged event = InstanceEvents.toEvent(instance);

        assertEquals("10.0.0.5", event.workerAddress());
        assertEquals(Map.of(0, "29.11.36.2"), event.deviceIps());
        assertEquals(List.of(sub), event.subordinateWorkers());
        instance.assignment = null;
        assertEquals(null, InstanceEvents.toEvent(instance).workerAddress());
        assertEquals(Map.of(), InstanceEvents.toEvent(instance).deviceIps());
    }
}
