package dev.gpufleet.worker.backend;

import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The multimodal projector beside a GGUF model: the files named {@code *mmproj*.gguf} in the model's directory,
 * sorted by name descending, first wins, so {@code ...-f32.gguf} beats {@code ...-f16.gguf} (GPUStack's rule).
 */
public final class Mmproj {
    private Mmproj() {
    }

    public static Optional<String> choose(List<String> fileNamesBesideModel) {
        return fileNamesBesideModel.stream()
                .filter(name -> {
                    String lower = name.toLowerCase(Locale.ROOT);
                    return lower.contains("mmproj") && lower.endsWith(".gguf");
                })
                .max(Comparator.naturalOrder());
    }
}
