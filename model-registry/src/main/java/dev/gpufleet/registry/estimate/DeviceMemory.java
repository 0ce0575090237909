package dev.gpufleet.registry.estimate;

/**
 * What one device (RAM or one GPU) holds, in bytes, so that the scheduler can explain a placement.
 *
 * @param weights repeating-layer weights plus, in RAM, the token embeddings and anything else in the file
 * @param output  the output norm and lm head, on the last GPU when every layer is offloaded, else in RAM
 */
public record DeviceMemory(long weights, long kvCache, long compute, long output, long mmproj) {

    public static final DeviceMemory NONE = new DeviceMemory(0, 0, 0, 0, 0);

    public long total() {
        return weights + kvCache + compute + output + mmproj;
    }
}
