package dev.gpufleet.events;

/**
 * What analysis found out about a model, whichever format it came from.
 *
 * @param architecture    e.g. {@code llama}, {@code qwen2}, or a config.json class such as {@code Qwen2ForCausalLM}
 * @param quantization    e.g. {@code Q4_K_M}, {@code BF16}
 * @param weightBytes     all weights as stored
 * @param mmprojFile      the vision projector picked beside a GGUF model, null when none
 */
public record ModelFacts(String architecture, String quantization, long parameterCount, int layers, int headCount,
                         int headCountKv, int embeddingLength, int contextLength, long weightBytes,
                         boolean embeddingModel, boolean rerankerModel, String mmprojFile) {
}
