package dev.gpufleet.scheduler.usage;

import dev.gpufleet.events.GpuDevice;
import dev.gpufleet.events.ResourceClaim;

import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** Turns an agent's measurement of a RUNNING instance into VRAM per GPU product. Pure. */
public final class MeasuredUsage {

    private MeasuredUsage() {
    }

    /**
     * The most VRAM the instance holds on one GPU of each product (GpuDevice name), from its measured usage per
     * GPU index and the worker's GPUs. Indexes the worker does not report, products without a name and
     * non-positive amounts are left out: they say nothing a placement could use.
     */
    public static Map<String, Long> peakPerGpuProduct(ResourceClaim measured, Iterable<GpuDevice> workerGpus) {
        Map<Integer, GpuDevice> byIndex = new TreeMap<>();
        workerGpus.forEach(gpu -> byIndex.putIfAbsent(gpu.index(), gpu));
        Map<String, Long> peaks = new TreeMap<>();
        if (measured == null) {
            return peaks;
        }
        measured.vramBytesByGpu().forEach((index, bytes) -> {
            GpuDevice gpu = byIndex.get(index);
            if (gpu == null || gpu.name() == null || gpu.name().isBlank() || bytes == null || bytes <= 0) {
                return;
            }
            peaks.merge(gpu.name(), bytes, Math::max);
        });
        return peaks;
    }

    /** What placement should count per GPU of a product: the higher of the estimate and the peak measured. */
    public static Map<String, Long> higherOf(long estimatePerGpu, Map<String, Long> measured) {
        return measured.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey,
                e -> Math.max(estimatePerGpu, e.getValue()), (a, b) -> a, TreeMap::new));
    }
}
