package dev.gpufleet.events;

import java.util.Arrays;

/** Memory one placement shape needs: host RAM and VRAM per GPU, in the shape's GPU order. */
public record ShapeMemory(long ramBytes, long[] vramBytes) {

    public long totalVramBytes() {
        long sum = 0;
        for (long v : vramBytes) {
            sum += v;
        }
        return sum;
    }

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
