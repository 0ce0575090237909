package dev.gpufleet.llamacpp.gguf;

import java.util.OptionalLong;

/** What the server needs to know about a model before and after llama.cpp loads it. */
public record GgufSummary(
        int version,
        String architecture,
        String name,
        long vocabularySize,
        OptionalLong contextLength,
        OptionalLong embeddingLength,
        boolean addsBosToken,
        long tensorCount,
        long parameterCount,
        long fileSize) {
}
