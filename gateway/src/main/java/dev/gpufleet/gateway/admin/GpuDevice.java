package dev.gpufleet.gateway.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import java.util.ArrayList;
import java.util.List;

/**
 * One GPU in {@code /api/v1/gpu-devices}: the scheduler knows GPUs only as part of their worker, so the gateway
 * flattens its worker list. The id is {@code <worker id>:<index>}.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record GpuDevice(String id, String workerId, String workerName, String workerState, int index, String vendor,
                        String type, String name, String uuid, long memoryTotalBytes, long memoryUsedBytes,
                        double utilizationPercent) {

    /** @param workers the {@code items} of the scheduler's {@code /api/v1/workers} pages, in its order */
    public static List<GpuDevice> of(List<JsonNode> workers) {
        List<GpuDevice> devices = new ArrayList<>();
        for (JsonNode worker : workers) {
            String workerId = worker.path("id").asText();
            for (JsonNode gpu : worker.path("gpus")) {
                int index = gpu.path("index").asInt();
                devices.add(new GpuDevice(workerId + ":" + index, workerId, text(worker, "name"),
                        text(worker, "state"), index, text(gpu, "vendor"), text(gpu, "type"), text(gpu, "name"),
                        text(gpu, "uuid"), gpu.path("memory_total_bytes").asLong(),
                        gpu.path("memory_used_bytes").asLong(), gpu.path("utilization_percent").asDouble()));
            }
        }
        return devices;
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }
}
