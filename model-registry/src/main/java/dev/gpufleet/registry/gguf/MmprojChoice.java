package dev.gpufleet.registry.gguf;

import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Which vision projector goes with a model: {@code --mmproj} in the backend parameters wins; otherwise the
 * {@code *mmproj*.gguf} beside the model, f32 before f16 before others (then by name, descending, as GPUStack does).
 */
public final class MmprojChoice {
    public record DirectoryEntry(String name, long sizeBytes) {}

    /** @param sizeBytes 0 when an override names a file not in the listing */
    public record Mmproj(String file, long sizeBytes, boolean fromParameters) {}

    private MmprojChoice() {
    }

    public static Optional<Mmproj> choose(List<DirectoryEntry> beside, List<String> backendParameters) {
        String override = override(backendParameters);
        if (override != null) {
            long size = beside.stream().filter(e -> e.name().equals(override)).mapToLong(DirectoryEntry::sizeBytes)
                    .findFirst().orElse(0);
            return Optional.of(new Mmproj(override, size, true));
        }
        return beside.stream()
                .filter(e -> {
                    String n = e.name().toLowerCase(Locale.ROOT);
                    return n.contains("mmproj") && n.endsWith(".gguf");
                })
                .min(Comparator.comparingInt((DirectoryEntry e) -> precisionRank(e.name()))
                        .thenComparing(DirectoryEntry::name, Comparator.reverseOrder()))
                .map(e -> new Mmproj(e.name(), e.sizeBytes(), false));
    }

    private static int precisionRank(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return n.contains("f32") ? 0 : n.contains("f16") ? 1 : 2;
    }

    /** The value of the last {@code --mmproj X} or {@code --mmproj=X} (the backend takes the last occurrence). */
    private static String override(List<String> parameters) {
        String found = null;
        for (int i = 0; i < parameters.size(); i++) {
            String a = parameters.get(i).trim();
            if (a.startsWith("--mmproj=")) {
                found = a.substring("--mmproj=".length()).trim();
            } else if (a.equals("--mmproj") && i + 1 < parameters.size()) {
                found = parameters.get(++i).trim();
            } else if (a.startsWith("--mmproj ")) {
                found = a.substring("--mmproj ".length()).trim();
            }
        }
        return found == null || found.isEmpty() ? null : found;
    }
}
