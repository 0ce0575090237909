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
 * @param backendVersions the engine versions it has: its agent's and those registered on it
 * @param modelDirectory  the disk its agent keeps downloaded models on (usage and free space); absent from agents
 *                        that do not report it
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record WorkerView(String id, String name, String address, int agentPort, String os, String arch,
                         Map<String, String> labels, int cpuCores, double cpuUtilizationPercent,
                         long memoryTotalBytes, long memoryUsedBytes, List<Gpu> gpus, WorkerState state,
                         WorkerState reportedState, String stateMessage, boolean cordoned, boolean draining,
                         Instant lastHeartbeatAt,
                         int heartbeatIntervalSeconds, Instant createdAt, Instant updatedAt,
                         @JsonInclude(JsonInclude.Include.NON_NULL) DrainProgress drain,
                         List<BackendVersionView> backendVersions,
                         @JsonInclude(JsonInclude.Include.NON_NULL) ModelDirectoryView modelDirectory) {

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record ModelDirectoryView(String path, long usedBytes, long freeBytes, long totalBytes) {
        static ModelDirectoryView of(Worker w) {
            var d = w.modelFiles == null ? null : w.modelFiles.directory();
            return d == null ? null : new ModelDirectoryView(d.path(), d.usedBytes(), d.freeBytes(), d.totalBytes());
        }
    }

    /** One engine version of a worker: {@code source} {@code agent} (its configuration) or {@code registered}. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record BackendVersionView(String backend, String version, String path, String source) {
        static List<BackendVersionView> of(Worker w) {
            return BackendVersions.merged(w.backendVersions, w.registeredBackendVersions).stream()
                    .map(v -> new BackendVersionView(v.backend(), v.version(), v.path(), v.source())).toList();
        }
    }

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
                w.updatedAt, w.draining ? drain : null, BackendVersionView.of(w), ModelDirectoryView.of(w));
    }
}
