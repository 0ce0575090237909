package dev.gpufleet.worker.devices;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * GPU memory per process from {@code nvidia-smi --query-compute-apps=pid,gpu_uuid,used_memory
 * --format=csv,noheader,nounits} (MiB), so an instance's measured VRAM is what its own processes hold. Pure; lines
 * it cannot read are skipped (a process may end while nvidia-smi prints).
 */
public final class NvidiaComputeApps {
    public static final List<String> QUERY = List.of("nvidia-smi",
            "--query-compute-apps=pid,gpu_uuid,used_memory", "--format=csv,noheader,nounits");
    private static final long MIB = 1L << 20;

    private NvidiaComputeApps() {
    }

    /** pid → GPU uuid → bytes. */
    public static Map<Long, Map<String, Long>> parse(String output) {
        Map<Long, Map<String, Long>> byPid = new HashMap<>();
        for (String line : output.split("\\R")) {
            String[] fields = line.split(",");
            if (fields.length != 3) {
                continue;
            }
            try {
                long pid = Long.parseLong(fields[0].trim());
                String uuid = fields[1].trim();
                long mib = Long.parseLong(fields[2].trim());
                if (pid > 0 && !uuid.isEmpty() && mib >= 0) {
                    byPid.computeIfAbsent(pid, p -> new HashMap<>()).merge(uuid, mib * MIB, Long::sum);
                }
            } catch (NumberFormatException e) {
                // "[N/A]" or a half-printed line: nothing to count
            }
        }
        return byPid;
    }
}
