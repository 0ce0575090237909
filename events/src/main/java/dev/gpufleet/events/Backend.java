package dev.gpufleet.events;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The four inference backends of the backend document, by the names model specs, events and messages use: one list
 * for the registry (validation, selection), the scheduler (placement) and the agent (launch).
 */
public enum Backend {
    LLAMA_BOX("llama-box"), VLLM("vllm"), VOX_BOX("vox-box"), MINDIE("mindie");

    /** Every backend's name, in the document's order. */
    public static final List<String> NAMES = List.of("llama-box", "vllm", "vox-box", "mindie");

    private final String label;

    Backend(String label) {
        this.label = label;
    }

    /** The name in model specs and messages. */
    public String label() {
        return label;
    }

    /** The backend a name means: exact names, any case, and {@code ascend-mindie} for MindIE; empty otherwise. */
    public static Optional<Backend> of(String name) {
        if (name == null) {
            return Optional.empty();
        }
        String n = name.trim().toLowerCase(Locale.ROOT);
        if (n.equals("ascend-mindie")) {
            return Optional.of(MINDIE);
        }
        for (Backend b : values()) {
            if (b.label.equals(n)) {
                return Optional.of(b);
            }
        }
        return Optional.empty();
    }
}
