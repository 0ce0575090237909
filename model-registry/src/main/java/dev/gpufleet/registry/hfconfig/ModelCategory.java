package dev.gpufleet.registry.hfconfig;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** What a model does, as the API names it ({@link #wireName()}, hyphenated). */
public enum ModelCategory {
    LLM, EMBEDDING, RERANKER, IMAGE, SPEECH_TO_TEXT, TEXT_TO_SPEECH;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static Optional<ModelCategory> fromWireName(String name) {
        return Arrays.stream(values()).filter(c -> c.wireName().equals(name)).findFirst();
    }
}
