package dev.gpufleet.registry.gguf;

import java.util.List;
import java.util.Optional;

/**
 * Which vision projector goes with a model: {@code --mmproj} in the backend parameters wins; otherwise the
 * {@code *mmproj*.gguf} beside the model by the rule the agent uses too ({@link dev.gpufleet.events.Projectors}).
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
        return dev.gpufleet.events.Projectors.choose(beside.stream().map(DirectoryEntry::name).toList())
                .flatMap(name -> beside.stream().filter(e -> e.name().equals(name)).findFirst())
                .map(e -> new Mmproj(e.name(), e.sizeBytes(), false));
    }

    /** The user's {@code --mmproj}, as a name beside the model (a path in the source keeps its last part). */
    private static String override(List<String> parameters) {
        String found = dev.gpufleet.events.Projectors.userProjector(parameters);
        if (found != null && dev.gpufleet.events.Projectors.relative(found)) {
            found = found.substring(Math.max(found.lastIndexOf('/'), found.lastIndexOf('\\')) + 1);
        }
        return found;
    }
}
