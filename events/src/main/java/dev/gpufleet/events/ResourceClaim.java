package dev.gpufleet.events;

import java.util.Map;

/** Memory an instance holds on its worker: host RAM and VRAM per GPU index. */
public record ResourceClaim(long ramBytes, Map<Integer, Long> vramBytesByGpu) {
    public ResourceClaim {
        vramBytesByGpu = vramBytesByGpu == null ? Map.of() : Map.copyOf(vramBytesByGpu);
    }
}
