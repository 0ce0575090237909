package dev.gpufleet.worker.backend;

import dev.gpufleet.events.Projectors;

import java.util.List;
import java.util.Optional;

/**
 * The multimodal projector beside a GGUF model, by the rule the registry uses too ({@link Projectors}): the
 * {@code *mmproj*.gguf} files in the model's directory, f32 before f16 before the rest, then by name, descending.
 */
public final class Mmproj {
    private Mmproj() {
    }

    public static Optional<String> choose(List<String> fileNamesBesideModel) {
        return Projectors.choose(fileNamesBesideModel);
    }
}
