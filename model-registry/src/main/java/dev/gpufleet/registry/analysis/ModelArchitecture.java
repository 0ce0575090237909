package dev.gpufleet.registry.analysis;

import java.util.List;

/**
 * What estimation and backend selection need to know about a model, whichever format it came from (a GGUF header
 * or a Hugging Face config.json with its safetensors sizes). Sizes are bytes as stored.
 *
 * @param architecture         e.g. {@code llama}, {@code qwen2}, {@code bert}; for config.json the first entry of
 *                             {@code architectures}, e.g. {@code Qwen2ForCausalLM}
 * @param quantization         e.g. {@code Q4_K_M}, {@code Q8_0}, {@code F16}, {@code BF16}
 * @param layerWeightBytes     bytes of each repeating block (transformer layer), index = layer number
 * @param tokenEmbeddingBytes  the input embedding table (stays in RAM with llama.cpp unless all layers go to GPUs)
 * @param outputBytes          output norm + output (lm head) weights; 0 when tied to the embeddings
 * @param otherBytes           anything else (e.g. rope tables, vision towers inside the file)
 * @param embeddingModel       pooling output, not generation (e.g. BERT-family, or a pooling type in the header)
 * @param rerankerModel        a cross-encoder reranker
 * @param mmprojBytes          the vision projector file beside the model, 0 when none
 */
public record ModelArchitecture(
        String architecture,
        String quantization,
        long parameterCount,
        int layers,
        int embeddingLength,
        int feedForwardLength,
        int headCount,
        int headCountKv,
        int headDim,
        int contextLength,
        int vocabSize,
        long fileBytes,
        List<Long> layerWeightBytes,
        long tokenEmbeddingBytes,
        long outputBytes,
        long otherBytes,
        boolean embeddingModel,
        boolean rerankerModel,
        long mmprojBytes) {

    public ModelArchitecture {
        layerWeightBytes = layerWeightBytes == null ? List.of() : List.copyOf(layerWeightBytes);
    }

    /** All weight bytes. */
    public long weightBytes() {
        return layerWeightBytes.stream().mapToLong(Long::longValue).sum() + tokenEmbeddingBytes + outputBytes
                + otherBytes;
    }
}
