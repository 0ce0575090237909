package dev.gpufleet.registry.estimate;

import dev.gpufleet.registry.analysis.ModelArchitecture;

import java.util.ArrayList;
import java.util.List;

/**
 * How much RAM and VRAM a model instance needs, per backend and placement. Pure: records in, records out.
 *
 * <p>llama-box follows llama.cpp's own sizing (checked against the buffer sizes llama.cpp reports, see
 * {@code bench/estimate}); vLLM, MindIE and vox-box follow the rules GPUStack uses (DESIGN §4,
 * {@code gpustack.md} §4.2–4.4).
 */
public final class MemoryEstimator {
    static final long MIB = 1L << 20;
    static final long GIB = 1L << 30;
    private static final int F32 = 4;

    private MemoryEstimator() {
    }

    /**
     * llama-box (llama.cpp). Layers follow llama.cpp: the first {@code layers − gpuLayers} stay in RAM, the rest are
     * spread over the GPUs by the cumulative tensor-split shares (the output layer counts as one more layer when
     * every layer is offloaded and then lands on the last GPU). Token embeddings always stay in RAM.
     */
    public static MemoryEstimate llamaBox(ModelArchitecture model, LlamaBoxParameters params, Placement placement) {
        int nLayers = model.layers();
        int nCtx = params.contextSize() > 0 ? params.contextSize() : model.contextLength();
        long kvSize = pad(nCtx, params.flashAttention() ? 256 : 32);
        int nBatch = Math.min(nCtx, params.batchSize());
        int nUbatch = Math.min(nBatch, params.ubatchSize());
        long nEmbdKv = (long) model.headCountKv() * model.headDim();
        long kvPerLayer = 2 * params.kvCacheType().bytes(kvSize * nEmbdKv);

        int gpus = placement.gpuCount();
        int gpuLayers = gpus == 0 ? 0 : Math.min(Math.max(placement.gpuLayers(), 0), nLayers + 1);
        boolean outputOnGpu = gpuLayers > nLayers;
        int firstGpuLayer = nLayers - Math.min(gpuLayers, nLayers);
        double[] cumulative = cumulativeShares(placement.tensorSplit());

        long[] weights = new long[gpus + 1]; // index gpus = RAM
        long[] kv = new long[gpus + 1];
        int[] layersOn = new int[gpus + 1];
        for (int il = 0; il < nLayers; il++) {
            int device = il < firstGpuLayer ? gpus : deviceFor(cumulative, il - firstGpuLayer, gpuLayers);
            weights[device] += il < model.layerWeightBytes().size() ? model.layerWeightBytes().get(il) : 0;
            kv[device] += kvPerLayer;
            layersOn[device]++;
        }
        int outputDevice = outputOnGpu ? deviceFor(cumulative, nLayers - firstGpuLayer, gpuLayers) : gpus;

        long attention = attentionScratch(model, kvSize, nUbatch, params.flashAttention());
        long output = outputScratch(model, nUbatch);
        long outputBuffer = (long) model.vocabSize() * Math.max(1, params.parallel()) * F32;

        List<DeviceMemory> gpuMemory = new ArrayList<>();
        for (int d = 0; d < gpus; d++) {
            long compute = 0;
            if (layersOn[d] > 0) {
                compute = attention;
            }
            if (outputDevice == d) {
                compute = Math.max(compute, output);
            }
            // the projector runs where the first GPU is (llama-box puts it on the main GPU)
            long mmproj = d == 0 ? model.mmprojBytes() : 0;
            gpuMemory.add(new DeviceMemory(weights[d], kv[d], compute, outputDevice == d ? model.outputBytes() : 0,
                    mmproj));
        }
        long ramCompute;
        if (layersOn[gpus] > 0 || outputDevice == gpus) {
            ramCompute = Math.max(layersOn[gpus] > 0 ? attention : 0, outputDevice == gpus ? output : 0);
        } else {
            // everything offloaded: the host keeps only the input embeddings of one micro-batch
            ramCompute = inputScratch(model, nUbatch);
        }
        DeviceMemory ram = new DeviceMemory(weights[gpus] + model.tokenEmbeddingBytes() + model.otherBytes(),
                kv[gpus], ramCompute + outputBuffer, outputDevice == gpus ? model.outputBytes() : 0,
                gpus == 0 ? model.mmprojBytes() : 0);
        String rule = String.format(java.util.Locale.ROOT,
                "llama-box: %d of %d layers on %d GPU(s), ctx %d (KV %d cells, %s), ubatch %d", gpuLayers, nLayers,
                gpus, nCtx, kvSize, params.kvCacheType().cliName(), nUbatch);
        return new MemoryEstimate(ram, gpuMemory, rule);
    }

    /**
     * Scratch for one layer's attention. Without flash attention llama.cpp materialises the f32 score matrix KQ
     * (cells × tokens × heads); either way there is the KQ mask (cells × tokens padded to 64, f32, f16 with flash
     * attention) and the activations of the micro-batch that are alive at the same time.
     */
    static long attentionScratch(ModelArchitecture m, long kvSize, int nUbatch, boolean flashAttention) {
        long activations = ACTIVATION_ROWS * nUbatch * (long) m.embeddingLength() * F32;
        long maskRows = pad(nUbatch, KQ_MASK_PAD);
        if (flashAttention) {
            return activations + kvSize * maskRows * 2;
        }
        long scores = kvSize * nUbatch * (long) m.headCount() * F32;
        return scores + kvSize * maskRows * F32 + activations;
    }

    /** Scratch for the output layer: f32 logits for every token of the micro-batch, plus its activations. */
    static long outputScratch(ModelArchitecture m, int nUbatch) {
        return (long) nUbatch * m.vocabSize() * F32 + OUTPUT_ACTIVATION_ROWS * nUbatch * (long) m.embeddingLength() * F32;
    }

    static long inputScratch(ModelArchitecture m, int nUbatch) {
        return (long) nUbatch * m.embeddingLength() * F32;
    }

    /** Live micro-batch activations (n_ubatch × n_embd f32 each) beside the attention scores; calibrated. */
    static final int ACTIVATION_ROWS = 4;
    static final int OUTPUT_ACTIVATION_ROWS = 2;
    /** llama.cpp pads the mask's token rows (GGML_KQ_MASK_PAD). */
    static final int KQ_MASK_PAD = 64;

    private static double[] cumulativeShares(List<Double> shares) {
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
    private static int deviceFor(double[] cumulative, int gpuLayerIndex, int gpuLayers) {
        double position = (double) gpuLayerIndex / gpuLayers;
        for (int d = 0; d < cumulative.length; d++) {
            if (position < cumulative[d]) {
                return d;
            }
        }
        return cumulative.length - 1;
    }

    static long pad(long value, long multiple) {
        return (value + multiple - 1) / multiple * multiple;
    }
}
