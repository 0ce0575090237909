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

/**
 * An instance in the admin API. The launch plan is left out: its env values may be secrets.
 *
 * @param replaces   the instance this one is placed to take over from (make before break); absent for others
 * @param replacedBy the instance placed to take over from this one; absent while none is
 * @param move       while it is replaced: why it still serves ({@link MoveStatus})
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record InstanceView(UUID id, String name, String modelId, String modelName, InstanceState state,
                           String stateMessage, Instant stateSince, String workerId, String workerName,
                           List<Integer> gpuIndexes, Claim claim, String backend, String endpoint, Integer port,
                           Long pid, Double downloadProgress, int restartCount, long revision, Instant createdAt,
                           Instant updatedAt, @JsonInclude(JsonInclude.Include.NON_NULL) PlacementView placement,
                           @JsonInclude(JsonInclude.Include.NON_NULL) UUID replaces,
                           @JsonInclude(JsonInclude.Include.NON_NULL) UUID replacedBy,
                           @JsonInclude(JsonInclude.Include.NON_NULL) String move) {

    /** Memory the instance holds on its worker. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Claim(long ramBytes, Map<Integer, Long> vramBytesByGpu) {
        static Claim of(ResourceClaim claim) {
            return claim == null ? null : new Claim(claim.ramBytes(), new java.util.TreeMap<>(claim.vramBytesByGpu()));
        }
    }

    /** @param replacement the instance placed to take over from this one; null for none */
    static InstanceView of(Instance i, Instance replacement) {
        return new InstanceView(i.id, i.name, i.modelId, i.modelName, i.state, i.stateMessage, i.stateSince,
                i.workerId, i.workerName, i.assignment == null ? List.of() : i.assignment.gpuIndexes(),
                i.assignment == null ? null : Claim.of(i.assignment.claim()),
                i.launchPlan == null ? null : i.launchPlan.backend(), i.endpoint, i.port, i.pid, i.downloadProgress,
                i.restartCount, i.revision, i.createdAt, i.updatedAt, PlacementView.of(i), i.replaces,
                replacement == null ? null : replacement.id,
                replacement == null ? null : MoveStatus.describe(MoveStatus.Replacement.of(replacement)));
    }

    /** The same view with an explanation worked out now (why a PENDING instance fits nowhere, per worker). */
    InstanceView withPlacement(PlacementView explanation) {
        return new InstanceView(id, name, modelId, modelName, state, stateMessage, stateSince, workerId, workerName,
                gpuIndexes, claim, backend, endpoint, port, pid, downloadProgress, restartCount, revision, createdAt,
                updatedAt, explanation, replaces, replacedBy, move);
    }
}
