package dev.gpufleet.registry.estimate;

import dev.gpufleet.events.FixedSizing;
import dev.gpufleet.events.LayeredSizing;
import dev.gpufleet.events.ResourceEstimate;
import dev.gpufleet.events.ShardedSizing;
import dev.gpufleet.registry.analysis.ModelArchitecture;

import java.util.ArrayList;
import java.util.List;

/**
 * How much RAM and VRAM a model instance needs, per backend and placement. Pure: records in, records out.
 *
 * <p>llama-box follows llama.cpp's own sizing (checked against the buffer sizes llama.cpp reports, see
 * {@code bench/estimate}: small synthetic shapes, and the exact shapes of real models with 128–262 k-token
 * vocabularies, GQA up to 8:1, q/k/v biases and tied embeddings; recorded in {@code RealShapeRecordedLoadTest});
 * vLLM, MindIE and vox-box follow the rules GPUStack uses (DESIGN §4,
 * {@code gpustack.md} §4.2–4.4).
 */
public final class MemoryEstimator {
    static final long MIB = 1L << 20;
    static final long GIB = 1L << 30;
    private static final int F32 = 4;
    private static final int VLLM_KV_ELEMENT_BYTES = 2;
    private static final long MINDIE_FOOTPRINT = 3 * GIB;

    private MemoryEstimator() {
    }

    /**
     * llama-box (llama.cpp). Layers follow llama.cpp: the first {@code layers − gpuLayers} stay in RAM, the rest are
     * spread over the GPUs by the cumulative tensor-split shares (the output layer counts as one more layer when
     * every layer is offloaded and then lands on the last GPU). Token embeddings always stay in RAM; with tied
     * embeddings ({@code outputBytes == 0}) a fully offloaded model also gets a copy of them as its output layer.
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
        double[] cumulative = LayeredSizing.cumulative(placement.tensorSplit());

        long[] weights = new long[gpus + 1]; // index gpus = RAM
        long[] kv = new long[gpus + 1];
        int[] layersOn = new int[gpus + 1];
        for (int il = 0; il < nLayers; il++) {
            int device = il < firstGpuLayer ? gpus
                    : LayeredSizing.deviceFor(cumulative, il - firstGpuLayer, gpuLayers);
            weights[device] += il < model.layerWeightBytes().size() ? model.layerWeightBytes().get(il) : 0;
            kv[device] += kvPerLayer;
            layersOn[device]++;
        }
        int outputDevice = outputOnGpu
                ? LayeredSizing.deviceFor(cumulative, nLayers - firstGpuLayer, gpuLayers) : gpus;

        long inputs = INPUT_BYTES_PER_TOKEN * nUbatch;
        long attention = attentionScratch(model, kvSize, nUbatch, params.flashAttention()) + inputs;
        long output = outputScratch(model, nUbatch) + inputs;
        long outputBuffer = (long) model.vocabSize() * Math.max(1, params.parallel()) * F32;

        // tied embeddings (no lm head of its own): llama.cpp copies token_embd to the output device
        long gpuOutput = model.outputBytes() > 0 ? model.outputBytes() : model.tokenEmbeddingBytes();
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
            gpuMemory.add(new DeviceMemory(weights[d], kv[d], compute, outputDevice == d ? gpuOutput : 0, mmproj));
        }
        long ramCompute;
        if (layersOn[gpus] > 0 || outputDevice == gpus) {
            ramCompute = Math.max(layersOn[gpus] > 0 ? attention : 0, outputDevice == gpus ? output : 0);
        } else {
            // everything offloaded: the host keeps only the input embeddings of one micro-batch
            ramCompute = inputScratch(model, nUbatch) + inputs;
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
     * The per-layer numbers of {@link #llamaBox} for these parameters, from which the scheduler sizes any shape
     * ({@link LayeredSizing#memoryFor} gives the same totals as {@link #llamaBox} for every placement).
     */
    public static LayeredSizing layeredSizing(ModelArchitecture model, LlamaBoxParameters params) {
        int nCtx = params.contextSize() > 0 ? params.contextSize() : model.contextLength();
        long kvSize = pad(nCtx, params.flashAttention() ? 256 : 32);
        int nBatch = Math.min(nCtx, params.batchSize());
        int nUbatch = Math.min(nBatch, params.ubatchSize());
        long nEmbdKv = (long) model.headCountKv() * model.headDim();
        long inputs = INPUT_BYTES_PER_TOKEN * nUbatch;
        List<Long> layers = new ArrayList<>(model.layers());
        for (int il = 0; il < model.layers(); il++) {
            layers.add(il < model.layerWeightBytes().size() ? model.layerWeightBytes().get(il) : 0L);
        }
        return new LayeredSizing(nCtx, layers,
                2 * params.kvCacheType().bytes(kvSize * nEmbdKv),
                attentionScratch(model, kvSize, nUbatch, params.flashAttention()) + inputs,
                outputScratch(model, nUbatch) + inputs,
                inputScratch(model, nUbatch) + inputs,
                model.outputBytes() > 0 ? model.outputBytes() : model.tokenEmbeddingBytes(),
                model.outputBytes(),
                model.tokenEmbeddingBytes() + model.otherBytes(),
                (long) model.vocabSize() * Math.max(1, params.parallel()) * F32,
                model.mmprojBytes());
    }

    /** vLLM's rule of {@link #vllm} for any tensor-parallel size. */
    public static ShardedSizing vllmSizing(ModelArchitecture model, VllmParameters params) {
        int maxLen = params.maxModelLen() > 0 ? params.maxModelLen() : model.contextLength();
        long weights = model.weightBytes();
        long kv = 2L * model.layers() * maxLen * model.headCountKv() * model.headDim() * VLLM_KV_ELEMENT_BYTES;
        long overhead = model.embeddingModel() || model.rerankerModel() ? 512 * MIB : 2 * GIB;
        return new ShardedSizing(weights + kv,
                share(params.gpuMemoryUtilization(), VllmParameters.defaults().gpuMemoryUtilization()),
                weights + weights / 5 + overhead, 0, model.headCount(), false);
    }

    /** MindIE's rule of {@link #mindie} for any power-of-two NPU count. */
    public static ShardedSizing mindieSizing(ModelArchitecture model, MindieParameters params) {
        int maxLen = params.maxSeqLen() > 0 ? params.maxSeqLen() : model.contextLength();
        long kvHeadBytes = 2L * model.headCountKv() * model.headDim() * model.layers() * 2;
        long compute = kvHeadBytes * params.maxBatchSize() * params.cacheBlockSize();
        return new ShardedSizing(model.weightBytes() + kvHeadBytes * maxLen + compute + MINDIE_FOOTPRINT,
                share(params.npuMemoryFraction(), MindieParameters.defaults().npuMemoryFraction()), 0,
                512 * MIB + params.cpuMemSizeGiB() * GIB, model.headCount(), true);
    }

    /** vox-box on one GPU and on the CPU. */
    public static FixedSizing voxBoxSizing(VoxBoxFramework framework, long mainWeightFileBytes) {
        MemoryEstimate gpu = voxBox(framework, mainWeightFileBytes, true);
        MemoryEstimate cpu = voxBox(framework, mainWeightFileBytes, false);
        return new FixedSizing(new ResourceEstimate(gpu.ramBytes(), gpu.totalVramBytes()),
                new ResourceEstimate(cpu.ramBytes(), 0));
    }

    /**
     * vLLM: weights plus a 16-bit KV cache for {@code --max-model-len} tokens must fit in the share of the GPU that
     * vLLM preallocates, so each GPU needs (weights + KV) / utilisation / tensor-parallel size of total memory; never
     * less than GPUStack's floor of 1.2 × weights + 2 GiB (512 MiB for embedding and reranker models), which stands
     * for activations and CUDA graphs. The compute entry is that remainder. RAM is not claimed (as in GPUStack).
     */
    public static MemoryEstimate vllm(ModelArchitecture model, VllmParameters params) {
        int maxLen = params.maxModelLen() > 0 ? params.maxModelLen() : model.contextLength();
        int tp = Math.max(1, params.tensorParallelSize());
        long weights = model.weightBytes();
        long kv = 2L * model.layers() * maxLen * model.headCountKv() * model.headDim() * VLLM_KV_ELEMENT_BYTES;
        double utilisation = share(params.gpuMemoryUtilization(), VllmParameters.defaults().gpuMemoryUtilization());
        long needed = (long) Math.ceil((weights + kv) / utilisation);
        long overhead = model.embeddingModel() || model.rerankerModel() ? 512 * MIB : 2 * GIB;
        long floor = weights + weights / 5 + overhead;
        long perGpu = ceilDiv(Math.max(needed, floor), tp);
        long weightsPerGpu = ceilDiv(weights, tp);
        long kvPerGpu = ceilDiv(kv, tp);
        List<DeviceMemory> gpus = new ArrayList<>();
        for (int i = 0; i < tp; i++) {
            gpus.add(new DeviceMemory(weightsPerGpu, kvPerGpu, perGpu - weightsPerGpu - kvPerGpu, 0, 0));
        }
        String rule = String.format(java.util.Locale.ROOT,
                "vllm: max((weights + KV(%d tokens)) / %.2f, 1.2 × weights + %d MiB) over %d GPU(s)%s", maxLen,
                utilisation, overhead / MIB, tp, needed >= floor ? "" : "; the floor applies");
        return new MemoryEstimate(DeviceMemory.NONE, gpus, rule);
    }

    /**
     * MindIE (GPUStack's rule): per model 3 GiB footprint + weights + KV ({@code 2 × kv heads × head dim × layers ×
     * max-seq-len × 2 bytes}) + computation ({@code max-batch-size × cache-block-size × layers × 2 × kv heads ×
     * head dim × 2 bytes}), split evenly over the NPUs, each of which may use only its memory fraction (the VRAM
     * entry is the NPU memory needed); RAM = 512 MiB + {@code --cpu-mem-size}.
     */
    public static MemoryEstimate mindie(ModelArchitecture model, MindieParameters params) {
        int maxLen = params.maxSeqLen() > 0 ? params.maxSeqLen() : model.contextLength();
        int devices = Math.max(1, params.devices());
        long kvHeadBytes = 2L * model.headCountKv() * model.headDim() * model.layers() * 2;
        long kv = kvHeadBytes * maxLen;
        long compute = kvHeadBytes * params.maxBatchSize() * params.cacheBlockSize();
        long weights = model.weightBytes();
        double fraction = share(params.npuMemoryFraction(), MindieParameters.defaults().npuMemoryFraction());
        List<DeviceMemory> npus = new ArrayList<>();
        for (int i = 0; i < devices; i++) {
            long w = ceilDiv(weights, devices);
            long k = ceilDiv(kv, devices);
            long c = ceilDiv(compute + MINDIE_FOOTPRINT, devices);
            long total = (long) Math.ceil((w + k + c) / fraction);
            npus.add(new DeviceMemory(w, k, total - w - k, 0, 0));
        }
        DeviceMemory ram = new DeviceMemory(0, params.cpuMemSizeGiB() * GIB, 512 * MIB, 0, 0);
        String rule = String.format(java.util.Locale.ROOT,
                "mindie: (3 GiB + weights + KV(%d tokens) + batch %d × block %d) / %.2f over %d NPU(s); "
                        + "RAM 512 MiB + %d GiB", maxLen, params.maxBatchSize(), params.cacheBlockSize(), fraction,
                devices, params.cpuMemSizeGiB());
        return new MemoryEstimate(ram, npus, rule);
    }

    /**
     * vox-box (GPUStack's fixed tables keyed by the main weight file's size; on a GPU, RAM is 1.5 × VRAM). A file
     * larger than the table knows takes the largest row. FunASR claims nothing.
     */
    public static MemoryEstimate voxBox(VoxBoxFramework framework, long mainWeightFileBytes, boolean onGpu) {
        long vramGiB;
        long ramGiBTimesTwo; // RAM in half GiB steps: 1.5 GiB = 3
        switch (framework) {
            case FASTER_WHISPER:
                vramGiB = mainWeightFileBytes <= 200 * MIB ? 1
                        : mainWeightFileBytes <= 500 * MIB ? 2
                        : mainWeightFileBytes <= 1536 * MIB ? 5
                        : mainWeightFileBytes <= 1638 * MIB ? 6 : 10;
                ramGiBTimesTwo = vramGiB * 3;
                break;
            case BARK:
                vramGiB = mainWeightFileBytes <= 2 * GIB ? 2 : 12;
                ramGiBTimesTwo = vramGiB * 3;
                break;
            case COSYVOICE:
                vramGiB = 3;
                ramGiBTimesTwo = onGpu ? 14 : 12;
                break;
            case DIA:
                vramGiB = 10;
                ramGiBTimesTwo = onGpu ? 2 : 20;
                break;
            default:
                vramGiB = 0;
                ramGiBTimesTwo = 0;
                break;
        }
        long ramBytes = ramGiBTimesTwo * GIB / 2;
        String rule = "vox-box: " + framework.name().toLowerCase(java.util.Locale.ROOT) + " table, "
                + (onGpu ? "on one GPU" : "CPU only");
        if (!onGpu) {
            return new MemoryEstimate(new DeviceMemory(mainWeightFileBytes, 0, ramBytes - Math.min(ramBytes,
                    mainWeightFileBytes), 0, 0), List.of(), rule);
        }
        long vram = vramGiB * GIB;
        return new MemoryEstimate(new DeviceMemory(0, 0, ramBytes, 0, 0),
                List.of(new DeviceMemory(Math.min(vram, mainWeightFileBytes), 0,
                        vram - Math.min(vram, mainWeightFileBytes), 0, 0)), rule);
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
    /** Token ids, positions and output ids of the micro-batch, beside the scratch (measured: about 8 KiB at 512). */
    static final int INPUT_BYTES_PER_TOKEN = 16;
    /** llama.cpp pads the mask's token rows (GGML_KQ_MASK_PAD). */
    static final int KQ_MASK_PAD = 64;

    /** A share in (0, 1]; anything else (the validator refuses it) falls back to the backend's default. */
    private static double share(double value, double fallback) {
        return value > 0 && value <= 1 ? value : fallback;
    }

    private static long ceilDiv(long value, long divisor) {
        return (value + divisor - 1) / divisor;
    }

    static long pad(long value, long multiple) {
        return (value + multiple - 1) / multiple * multiple;
    }
}
