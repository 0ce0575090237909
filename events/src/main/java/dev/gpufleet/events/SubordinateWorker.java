package dev.gpufleet.events;

import java.util.List;
import java.util.Map;

/**
 * A worker that contributes GPUs to a distributed instance (llama.cpp RPC servers, Ray workers, MindIE nodes).
 *
 * @param address   where the main worker reaches it (its heartbeat's address); null from producers before it existed
 * @param deviceIps the device IP of each of its lent GPUs that has one (Ascend NPUs, by GPU index), as its heartbeat
 *                  reported them at placement; empty for other devices and from producers before it existed
 */
public record SubordinateWorker(String workerId, List<Integer> gpuIndexes, ResourceClaim claim, String address,
                                Map<Integer, String> deviceIps) {
    public SubordinateWorker {
        gpuIndexes = gpuIndexes == null ? List.of() : List.copyOf(gpuIndexes);
        deviceIps = DeviceIps.copy(deviceIps);
    }

    public SubordinateWorker(String workerId, List<Integer> gpuIndexes, ResourceClaim claim) {
        this(workerId, gpuIndexes, claim, null, null);
    }

    public SubordinateWorker(String workerId, List<Integer> gpuIndexes, ResourceClaim claim, String address) {
        this(workerId, gpuIndexes, claim, address, null);
    }

    public SubordinateWorker withAddress(String newAddress) {
        return new SubordinateWorker(workerId, gpuIndexes, claim, newAddress, deviceIps);
    }

    public SubordinateWorker withDeviceIps(Map<Integer, String> newDeviceIps) {
        return new SubordinateWorker(workerId, gpuIndexes, claim, address, newDeviceIps);
    }
}
