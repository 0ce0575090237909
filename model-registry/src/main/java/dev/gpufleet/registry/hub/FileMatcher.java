package dev.gpufleet.registry.hub;

import dev.gpufleet.events.FileChoice;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Resolves, by the rule the agent's download uses too ({@link FileChoice}), a file name or glob ({@code *q4_k_m.gguf}, {@code *Q4_K_M*.gguf}, {@code sub/dir/model.gguf}) against a
 * repository listing, case-insensitively like GPUStack's fnmatch on Hugging Face listings. Of several matches the
 * sorted first one wins, after GGUF-specific preferences: a split model is named by its first part
 * ({@code -00001-of-0000N.gguf}), and a model file beats a {@code *mmproj*} projector unless only projectors match.
 * Pure.
 */
public final class FileMatcher {
    static final Pattern SPLIT_PART = FileChoice.SPLIT_PART;
    private static final int FILES_NAMED_IN_PROBLEM = 8;

    private FileMatcher() {
    }

    public static FileResolution resolve(String pattern, List<HubFile> files) {
        if (pattern == null || pattern.isBlank()) {
            return new FileResolution(null, List.of(), "no file name or pattern given");
        }
        List<String> paths = FileChoice.matching(pattern, files.stream().map(HubFile::path).toList());
        if (paths.isEmpty()) {
            return new FileResolution(null, List.of(), "no file matches '" + pattern + "'; the repository has "
                    + FileChoice.sample(files.stream().map(HubFile::path).toList(), FILES_NAMED_IN_PROBLEM));
        }
        List<HubFile> matches = new ArrayList<>();
        for (String path : paths) {
            files.stream().filter(f -> f.path().equals(path)).findFirst().ifPresent(matches::add);
        }
        String chosen = FileChoice.pick(paths);
        return new FileResolution(matches.stream().filter(f -> f.path().equals(chosen)).findFirst().orElseThrow(),
                matches, null);
    }

    static boolean isProjector(HubFile file) {
        return FileChoice.isProjector(file.path());
    }

    static boolean isWholeOrFirstPart(HubFile file) {
        return FileChoice.isWholeOrFirstPart(file.path());
    }

    /** The shared glob ({@link FileChoice#glob}). */
    static Pattern globToRegex(String glob) {
        return FileChoice.glob(glob);
    }
}
