package dev.gpufleet.scheduler.workers;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import dev.gpufleet.events.GpuDevice;
import dev.gpufleet.events.WorkerState;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A worker in the admin API.
 *
 * @param drain while it is drained: how far that is; absent otherwise
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record WorkerView(String id, String name, String address, int agentPort, String os, String arch,
                         Map<String, String> labels, int cpuCores, double cpuUtilizationPercent,
                         long memoryTotalBytes, long memoryUsedBytes, List<Gpu> gpus, WorkerState state,
                         WorkerState reportedState, String stateMessage, boolean cordoned, boolean draining,
                         Instant lastHeartbeatAt,
                         int heartbeatIntervalSeconds, Instant createdAt, Instant updatedAt,
                         @JsonInclude(JsonInclude.Include.NON_NULL) DrainProgress drain) {

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Gpu(int index, String vendor, String type, String name, String uuid, long memoryTotalBytes,
                      long memoryUsedBytes, double utilizationPercent) {
        static Gpu of(GpuDevice d) {
            return new Gpu(d.index(), d.vendor(), d.type(), d.name(), d.uuid(), d.memoryTotalBytes(),
                    d.memoryUsedBytes(), d.utilizationPercent());
        }
    }

    static WorkerView of(Worker w, DrainProgress drain) {
        return new WorkerView(w.id, w.name, w.address, w.agentPort, w.os, w.arch,
                w.labels == null ? Map.of() : w.labels, w.cpuCores, w.cpuUtilizationPercent, w.memoryTotalBytes,
                w.memoryUsedBytes, w.gpus == null ? List.of() : w.gpus.devices().stream().map(Gpu::of).toList(), w.state,
                w.reportedState, w.stateMessage, w.cordoned, w.draining, w.lastHeartbeatAt, w.heartbeatIntervalSeconds, w.createdAt,
                w.updatedAt, w.draining ? drain : null);
    }
}
