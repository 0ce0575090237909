package dev.gpufleet.worker.host;

import java.util.List;

/**
 * What the host has now.
 *
 * @param problems why some value could not be read (it then comes from a fallback or is 0); empty when all is well
 */
public record HostResources(int cpuCores, double cpuUtilizationPercent, long memoryTotalBytes, long memoryUsedBytes,
                            List<String> problems) {
    public HostResources {
        problems = List.copyOf(problems);
    }
}
