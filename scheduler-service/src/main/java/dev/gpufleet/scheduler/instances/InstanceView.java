package dev.gpufleet.scheduler.instances;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.ResourceClaim;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** An instance in the admin API. The launch plan is left out: its env values may be secrets. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record InstanceView(UUID id, String name, String modelId, String modelName, InstanceState state,
                           String stateMessage, Instant stateSince, String workerId, String workerName,
                           List<Integer> gpuIndexes, Claim claim, String backend, String endpoint, Integer port,
                           Long pid, Double downloadProgress, int restartCount, long revision, Instant createdAt,
                           Instant updatedAt, @JsonInclude(JsonInclude.Include.NON_NULL) PlacementView placement) {

    /** Memory the instance holds on its worker. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Claim(long ramBytes, Map<Integer, Long> vramBytesByGpu) {
        static Claim of(ResourceClaim claim) {
            return claim == null ? null : new Claim(claim.ramBytes(), new java.util.TreeMap<>(claim.vramBytesByGpu()));
        }
    }

    static InstanceView of(Instance i) {
        return new InstanceView(i.id, i.name, i.modelId, i.modelName, i.state, i.stateMessage, i.stateSince,
                i.workerId, i.workerName, i.assignment == null ? List.of() : i.assignment.gpuIndexes(),
                i.assignment == null ? null : Claim.of(i.assignment.claim()),
                i.launchPlan == null ? null : i.launchPlan.backend(), i.endpoint, i.port, i.pid, i.downloadProgress,
                i.restartCount, i.revision, i.createdAt, i.updatedAt, PlacementView.of(i));
    }

    /** The same view with an explanation worked out now (why a PENDING instance fits nowhere, per worker). */
    InstanceView withPlacement(PlacementView explanation) {
        return new InstanceView(id, name, modelId, modelName, state, stateMessage, stateSince, workerId, workerName,
                gpuIndexes, claim, backend, endpoint, port, pid, downloadProgress, restartCount, revision, createdAt,
                updatedAt, explanation);
    }
}
