package dev.gpufleet.scheduler.instances;

import dev.gpufleet.events.ResourceClaim;

import java.util.List;

/** Where an instance was placed on its worker, as stored (a JSON object column). */
public record Assignment(List<Integer> gpuIndexes, ResourceClaim claim) {
    public Assignment {
        gpuIndexes = gpuIndexes == null ? List.of() : List.copyOf(gpuIndexes);
        claim = claim == null ? new ResourceClaim(0, null) : claim;
    }
}
