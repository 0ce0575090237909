package dev.gpufleet.scheduler.instances;

import dev.gpufleet.events.PlacementShape;
import dev.gpufleet.events.ResourceClaim;
import dev.gpufleet.events.SubordinateWorker;

import java.util.List;
import java.util.Map;

/**
 * Where an instance was placed, as stored (a JSON object column): its worker's GPUs and claim, the shape, the
 * workers that lend GPUs to a distributed instance, and why it went there.
 *
 * @param shape        null in rows written before shapes existed (one GPU per index, all layers)
 * @param score        the placement's score under the model's strategy (higher won); null in older rows
 * @param rationale    one line: shape, claim, score
 * @param workerAddress the worker's address its heartbeat gave at placement (subordinates dial it); null in older rows
 * @param deviceIps    the device IPs of its GPUs that had one at placement (Ascend NPUs), by GPU index; empty in older
 *                     rows
 */
public record Assignment(List<Integer> gpuIndexes, ResourceClaim claim, PlacementShape shape,
                         List<SubordinateWorker> subordinates, Double score, String rationale, String workerAddress,
                         Map<Integer, String> deviceIps) {
    public Assignment {
        gpuIndexes = gpuIndexes == null ? List.of() : List.copyOf(gpuIndexes);
        claim = claim == null ? new ResourceClaim(0, null) : claim;
        subordinates = subordinates == null ? List.of() : List.copyOf(subordinates);
        deviceIps = deviceIps == null ? Map.of() : Map.copyOf(deviceIps);
    }

    public Assignment(List<Integer> gpuIndexes, ResourceClaim claim) {
        this(gpuIndexes, claim, null, List.of(), null, null, null, null);
    }

    public Assignment(List<Integer> gpuIndexes, ResourceClaim claim, PlacementShape shape,
                      List<SubordinateWorker> subordinates, Double score, String rationale) {
        this(gpuIndexes, claim, shape, subordinates, score, rationale, null, null);
    }
}
