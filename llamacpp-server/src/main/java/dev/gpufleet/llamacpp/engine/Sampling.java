package dev.gpufleet.llamacpp.engine;

import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/** Generation settings from a request; empty means llama.cpp's default. */
public record Sampling(
        OptionalInt maxTokens,
        Optional<Float> temperature,
        Optional<Float> topP,
        Optional<Float> presencePenalty,
        Optional<Float> frequencyPenalty,
        OptionalInt seed,
        List<String> stop,
        /** llama.cpp's extension: keep generating past end-of-sequence until the token budget is spent. */
        boolean ignoreEos) {
}
