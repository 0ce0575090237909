package dev.gpufleet.worker.report;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.GpuDevice;
import dev.gpufleet.events.ObservedInstance;
import dev.gpufleet.events.WorkerReported;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/** {@code GET /api/v1/worker}: the latest heartbeat in the admin API's snake_case. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record WorkerView(String workerId, String name, String state, String stateMessage, String address,
                         int agentPort, String os, String arch, Map<String, String> labels, int cpuCores,
                         double cpuUtilizationPercent, long memoryTotalBytes, long memoryUsedBytes,
                         List<GpuView> gpus, List<InstanceView> instances, int heartbeatIntervalSeconds,
                         long revision, Instant reportedAt) {

    public static WorkerView of(Envelope<WorkerReported> envelope) {
        WorkerReported r = envelope.payload();
        return new WorkerView(r.workerId(), r.name(), r.state().name(), r.stateMessage(), r.address(),
                r.agentPort(), r.os(), r.arch(), r.labels(), r.cpuCores(), r.cpuUtilizationPercent(),
                r.memoryTotalBytes(), r.memoryUsedBytes(), r.gpus().stream().map(GpuView::of).toList(),
                r.instances().stream().map(InstanceView::of).toList(), r.heartbeatIntervalSeconds(),
                envelope.revision(), envelope.occurredAt());
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record GpuView(int index, String vendor, String type, String name, String uuid, long memoryTotalBytes,
                          long memoryUsedBytes, double utilizationPercent) {
        static GpuView of(GpuDevice d) {
            return new GpuView(d.index(), d.vendor(), d.type(), d.name(), d.uuid(), d.memoryTotalBytes(),
                    d.memoryUsedBytes(), d.utilizationPercent());
        }
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record InstanceView(String instanceId, String state) {
        static InstanceView of(ObservedInstance i) {
            return new InstanceView(i.instanceId(), i.state().name());
        }
    }
}
