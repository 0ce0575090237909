package dev.gpufleet.scheduler.instances;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import dev.gpufleet.events.InstanceState;

import java.time.Instant;
import java.util.UUID;

/** An instance in the admin API. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record InstanceView(UUID id, String name, String modelId, String modelName, InstanceState state,
                           String stateMessage, String workerId, String workerName, long revision,
                           Instant createdAt, Instant updatedAt) {

    static InstanceView of(Instance i) {
        return new InstanceView(i.id, i.name, i.modelId, i.modelName, i.state, i.stateMessage, i.workerId,
                i.workerName, i.revision, i.createdAt, i.updatedAt);
    }
}
