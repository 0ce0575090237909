package dev.gpufleet.events;

import java.util.List;

/**
 * llama-box (llama.cpp) memory per layer at the context, cache type and slots the instance will be started with,
 * from which {@link #memoryFor} sizes any shape: all layers on one GPU, a tensor split over several GPUs (of one
 * host or, through RPC servers, of several), the last {@code k} layers on GPUs and the rest in RAM, or CPU only.
 * The layer assignment is llama.cpp's: the first {@code layers − gpuLayers} layers stay in RAM, the rest go to
 * the GPUs by cumulative tensor-split share; the output layer counts as one more layer when every layer is on
 * GPUs and then lands on the last GPU.
 *
 * @param contextSize           tokens of KV cache (all slots together) these numbers are for
 * @param layerWeightBytes      weights of each repeating layer, index = layer number
 * @param kvBytesPerLayer       K and V cache of one layer
 * @param layerComputeBytes     scratch on any device that holds at least one layer
 * @param outputComputeBytes    scratch on the device that holds the output layer (logits of a micro-batch)
 * @param hostInputComputeBytes what the host keeps for the input embeddings when every layer is on GPUs
 * @param outputGpuBytes        the output layer on a GPU (with tied embeddings: the copy of the token embeddings)
 * @param outputRamBytes        the output layer in RAM (0 with tied embeddings: the table is there already)
 * @param ramBaseBytes          always in RAM: token embeddings and other tensors
 * @param outputBufferBytes     always in RAM: the logits handed to the slots
 * @param mmprojBytes           the vision projector: on the first GPU, or in RAM without GPUs
 */
public record LayeredSizing(
        int contextSize,
        List<Long> layerWeightBytes,
        long kvBytesPerLayer,
        long layerComputeBytes,
        long outputComputeBytes,
        long hostInputComputeBytes,
        long outputGpuBytes,
        long outputRamBytes,
        long ramBaseBytes,
        long outputBufferBytes,
        long mmprojBytes) {

    /** {@code -ngl 999}: every layer and the output layer on GPUs. */
    public static final int ALL_LAYERS = 999;

    public LayeredSizing {
        layerWeightBytes = layerWeightBytes == null ? List.of() : List.copyOf(layerWeightBytes);
    }

    public int layers() {
        return layerWeightBytes.size();
    }

    /**
     * Memory of one shape.
     *
     * @param gpuLayers llama.cpp's {@code -ngl} (capped at layers + 1; above the layer count the output layer too)
     * @param shares    one tensor-split share per GPU, in order; empty for CPU only
     */
    public ShapeMemory memoryFor(int gpuLayers, List<Double> shares) {
        int nLayers = layers();
        int gpus = shares.size();
        int onGpus = gpus == 0 ? 0 : Math.min(Math.max(gpuLayers, 0), nLayers + 1);
        boolean outputOnGpu = onGpus > nLayers;
        int firstGpuLayer = nLayers - Math.min(onGpus, nLayers);
        double[] cumulative = cumulative(shares);

        long[] vram = new long[gpus];
        boolean[] holdsLayers = new boolean[gpus];
        long ramLayers = 0;
        for (int il = 0; il < nLayers; il++) {
            long bytes = layerWeightBytes.get(il) + kvBytesPerLayer;
            if (il < firstGpuLayer) {
                ramLayers += bytes;
            } else {
                int d = deviceFor(cumulative, il - firstGpuLayer, onGpus);
                vram[d] += bytes;
                holdsLayers[d] = true;
            }
        }
        int outputDevice = outputOnGpu ? deviceFor(cumulative, nLayers - firstGpuLayer, onGpus) : -1;
        for (int d = 0; d < gpus; d++) {
            long compute = holdsLayers[d] ? layerComputeBytes : 0;
            if (d == outputDevice) {
                compute = Math.max(compute, outputComputeBytes);
                vram[d] += outputGpuBytes;
            }
            vram[d] += compute + (d == 0 ? mmprojBytes : 0);
        }
        boolean ramHoldsLayers = firstGpuLayer > 0;
        long ramCompute = ramHoldsLayers || outputDevice < 0
                ? Math.max(ramHoldsLayers ? layerComputeBytes : 0, outputDevice < 0 ? outputComputeBytes : 0)
                : hostInputComputeBytes;
        long ram = ramBaseBytes + ramLayers + ramCompute + outputBufferBytes
                + (outputDevice < 0 ? outputRamBytes : 0) + (gpus == 0 ? mmprojBytes : 0);
        return new ShapeMemory(ram, vram);
    }

    /** Each GPU's cumulative share of the layers, from tensor-split shares (equal when none is positive). */
    public static double[] cumulative(List<Double> shares) {
        double total = 0;
        for (double s : shares) {
            total += Math.max(s, 0);
        }
        double[] cumulative = new double[shares.size()];
        double running = 0;
        for (int i = 0; i < cumulative.length; i++) {
            running += total > 0 ? Math.max(shares.get(i), 0) / total : 1.0 / cumulative.length;
            cumulative[i] = running;
        }
        return cumulative;
    }

    /** llama.cpp's rule: the first device whose cumulative share exceeds the layer's position among GPU layers. */
    public static int deviceFor(double[] cumulative, int gpuLayerIndex, int gpuLayers) {
        double position = (double) gpuLayerIndex / gpuLayers;
        for (int d = 0; d < cumulative.length; d++) {
            if (position < cumulative[d]) {
                return d;
            }
        }
        return cumulative.length - 1;
    }
}
