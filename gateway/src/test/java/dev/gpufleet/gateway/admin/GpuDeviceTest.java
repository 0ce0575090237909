package dev.gpufleet.gateway.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gpufleet.kit.http.PageRequest;
import dev.gpufleet.kit.http.PageView;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class GpuDeviceTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode worker(String id, String name, String gpus) throws Exception {
        return JSON.readTree("{\"id\":\"" + id + "\",\"name\":\"" + name + "\",\"state\":\"READY\",\"gpus\":[" + gpus
                + "]}");
    }

    private static String gpu(int index, long total, long used, double util) {
        return "{\"index\":" + index + ",\"vendor\":\"nvidia\",\"type\":\"cuda\",\"name\":\"H100\",\"uuid\":\"GPU-"
                + index + "\",\"memory_total_bytes\":" + total + ",\"memory_used_bytes\":" + used
                + ",\"utilization_percent\":" + util + "}";
    }

    @Test
    void eachWorkersGpusInOrderWithTheirWorker() throws Exception {
        List<GpuDevice> devices = GpuDevice.of(List.of(
                worker("w-1", "node-a", gpu(0, 80, 10, 5.5) + "," + gpu(1, 80, 0, 0)),
                worker("w-2", "node-b", ""),
                worker("w-3", "node-c", gpu(0, 24, 24, 100))));

        assertEquals(List.of(
                new GpuDevice("w-1:0", "w-1", "node-a", "READY", 0, "nvidia", "cuda", "H100", "GPU-0", 80, 10, 5.5),
                new GpuDevice("w-1:1", "w-1", "node-a", "READY", 1, "nvidia", "cuda", "H100", "GPU-1", 80, 0, 0),
                new GpuDevice("w-3:0", "w-3", "node-c", "READY", 0, "nvidia", "cuda", "H100", "GPU-0", 24, 24, 100)),
                devices);
    }

    @Test
    void aWorkerWithoutAGpuListHasNone() throws Exception {
        assertEquals(List.of(), GpuDevice.of(List.of(JSON.readTree("{\"id\":\"w-9\",\"gpus\":null}"),
                JSON.readTree("{\"id\":\"w-8\"}"))));
    }

    @Test
    void pagesOfAListInMemory() {
        List<Integer> all = List.of(1, 2, 3, 4, 5);
        assertEquals(List.of(3, 4), PageView.slice(all, new PageRequest(2, 2)).items());
        assertEquals(List.of(5), PageView.slice(all, new PageRequest(3, 2)).items());
        assertEquals(List.of(), PageView.slice(all, new PageRequest(9, 2)).items());
        assertEquals(new PageView.Pagination(3, 2, 5, 3), PageView.slice(all, new PageRequest(3, 2)).pagination());
    }
}
