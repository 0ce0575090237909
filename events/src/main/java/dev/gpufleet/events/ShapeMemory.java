package dev.gpufleet.events;

import java.util.Arrays;

/** Memory one placement shape needs: host RAM and VRAM per GPU, in the shape's GPU order. */
public record ShapeMemory(long ramBytes, long[] vramBytes) {

    @Override
    public boolean equals(Object o) {
        return o instanceof ShapeMemory other && ramBytes == other.ramBytes
                && Arrays.equals(vramBytes, other.vramBytes);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(ramBytes) * 31 + Arrays.hashCode(vramBytes);
    }

    @Override
    public String toString() {
        return "ShapeMemory[ramBytes=" + ramBytes + ", vramBytes=" + Arrays.toString(vramBytes) + "]";
    }
}
