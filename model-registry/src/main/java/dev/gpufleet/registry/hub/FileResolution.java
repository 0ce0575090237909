package dev.gpufleet.registry.hub;

import java.util.List;

/**
 * Which repository file a user's file name or glob means: {@code file} when one was chosen (with every file that
 * matched, in order), else {@code problem} saying what was asked for and what the repository has.
 */
public record FileResolution(HubFile file, List<HubFile> matches, String problem) {
    public FileResolution {
        matches = matches == null ? List.of() : List.copyOf(matches);
    }

    public boolean found() {
        return file != null;
    }
}
