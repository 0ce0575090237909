package dev.gpufleet.events;

import java.util.List;
import java.util.Map;

/**
 * The scheduler's whole view of one instance. The gateway routes only to instances whose latest
 * {@code InstanceChanged} is {@link InstanceState#RUNNING} with an endpoint.
 *
 * @param name         human-readable, e.g. {@code qwen2-5-0-5b-3f9a1c}
 * @param workerId     null while PENDING
 * @param endpoint     {@code host:port} when RUNNING, else null
 * @param stateMessage why it is in its state (placement failure reasons, error text)
 * @param restartCount how often the backend was restarted after an error
 * @param launchPlan   how to start it; set once the instance is placed (null while PENDING)
 * @param shape        how it is laid out over its devices; set once placed (null while PENDING, and from
 *                     producers before it existed: then one GPU per index, all layers)
 * @param workerAddress the main worker's address as its heartbeat reported it when the instance was placed, kept on
 *                     every later change of the instance: what subordinate workers dial (the Ray head of vLLM across
 *                     workers). Null while PENDING, and from producers before it existed
 * @param deviceIps    the device IP of each of the main worker's GPUs that has one (Ascend NPUs, by GPU index), as its
 *                     heartbeat reported them at placement: multi-node MindIE's rank table lists them. Empty for other
 *                     devices and from producers before it existed
 */
public record InstanceChanged(
        String instanceId,
        String name,
        String modelId,
        String modelName,
        String workerId,
        String workerName,
        List<Integer> gpuIndexes,
        List<SubordinateWorker> subordinateWorkers,
        ResourceClaim claim,
        InstanceState state,
        String stateMessage,
        String endpoint,
        int restartCount,
        LaunchPlan launchPlan,
        PlacementShape shape,
        String workerAddress,
        Map<Integer, String> deviceIps) implements EventPayload {

    public InstanceChanged {
        gpuIndexes = gpuIndexes == null ? List.of() : List.copyOf(gpuIndexes);
        subordinateWorkers = subordinateWorkers == null ? List.of() : List.copyOf(subordinateWorkers);
        deviceIps = DeviceIps.copy(deviceIps);
    }

    public InstanceChanged(String instanceId, String name, String modelId, String modelName, String workerId,
                           String workerName, List<Integer> gpuIndexes, List<SubordinateWorker> subordinateWorkers,
                           ResourceClaim claim, InstanceState state, String stateMessage, String endpoint,
                           int restartCount, LaunchPlan launchPlan) {
        this(instanceId, name, modelId, modelName, workerId, workerName, gpuIndexes, subordinateWorkers, claim, state,
                stateMessage, endpoint, restartCount, launchPlan, null);
    }

    public InstanceChanged(String instanceId, String name, String modelId, String modelName, String workerId,
                           String workerName, List<Integer> gpuIndexes, List<SubordinateWorker> subordinateWorkers,
                           ResourceClaim claim, InstanceState state, String stateMessage, String endpoint,
                           int restartCount, LaunchPlan launchPlan, PlacementShape shape) {
        this(instanceId, name, modelId, modelName, workerId, workerName, gpuIndexes, subordinateWorkers, claim, state,
                stateMessage, endpoint, restartCount, launchPlan, shape, null, null);
    }

    public InstanceChanged(String instanceId, String name, String modelId, String modelName, String workerId,
                           String workerName, List<Integer> gpuIndexes, List<SubordinateWorker> subordinateWorkers,
                           ResourceClaim claim, InstanceState state, String stateMessage, String endpoint,
                           int restartCount, LaunchPlan launchPlan, PlacementShape shape, String workerAddress) {
        this(instanceId, name, modelId, modelName, workerId, workerName, gpuIndexes, subordinateWorkers, claim, state,
                stateMessage, endpoint, restartCount, launchPlan, shape, workerAddress, null);
    }

    public InstanceChanged withWorkerAddress(String newAddress) {
        return new InstanceChanged(instanceId, name, modelId, modelName, workerId, workerName, gpuIndexes,
                subordinateWorkers, claim, state, stateMessage, endpoint, restartCount, launchPlan, shape, newAddress,
                deviceIps);
    }

    public InstanceChanged withDeviceIps(Map<Integer, String> newDeviceIps) {
        return new InstanceChanged(instanceId, name, modelId, modelName, workerId, workerName, gpuIndexes,
                subordinateWorkers, claim, state, stateMessage, endpoint, restartCount, launchPlan, shape,
                workerAddress, newDeviceIps);
    }

    public InstanceChanged withLaunchPlan(LaunchPlan newPlan) {
        return new InstanceChanged(instanceId, name, modelId, modelName, workerId, workerName, gpuIndexes,
                subordinateWorkers, claim, state, stateMessage, endpoint, restartCount, newPlan, shape,
                workerAddress, deviceIps);
    }

    @Override
    public String entityId() {
        return instanceId;
    }
}
