package dev.gpufleet.worker.download;

import dev.gpufleet.events.FileChoice;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which files of a repository an instance needs: the file the source names (a name or an fnmatch glob, matched
 * case-insensitively; of several matches a model beats a projector, a whole file or first split part beats later
 * parts, then the sorted first), every part of a split GGUF ({@code -00001-of-00003.gguf}), and an {@code mmproj}
 * projector in the same directory for a GGUF model (f32 before f16 before others). No pattern: the whole repository (a
 * safetensors model for vLLM). Pure.
 *
 * @param model  the file the backend is given (the first part of a split model); null with no pattern
 * @param mmproj the projector, or null
 * @param files  everything to download
 */
public record FileSelection(RemoteFile model, RemoteFile mmproj, List<RemoteFile> files, String problem) {
    static final Pattern SPLIT_PART = FileChoice.SPLIT_PART;
    private static final int NAMED_IN_PROBLEM = 8;

    public static FileSelection select(String pattern, List<RemoteFile> listing) {
        if (pattern == null || pattern.isBlank()) {
            return listing.isEmpty() ? failed("the repository has no files")
                    : new FileSelection(null, null, sorted(listing), null);
        }
        // the rule the registry's analysis uses too
        List<String> paths = FileChoice.matching(pattern, listing.stream().map(RemoteFile::path).toList());
        if (paths.isEmpty()) {
            return failed("no file matches '" + pattern + "'; the repository has " + sample(listing));
        }
        String chosen = FileChoice.pick(paths);
        RemoteFile model = listing.stream().filter(f -> f.path().equals(chosen)).findFirst().orElseThrow();
        List<RemoteFile> files = new ArrayList<>();
        Matcher split = SPLIT_PART.matcher(model.path());
        if (split.find()) {
            int count = Integer.parseInt(split.group(2));
            String prefix = model.path().substring(0, split.start());
            for (int part = 1; part <= count; part++) {
                String name = String.format(Locale.ROOT, "%s-%05d-of-%s.gguf", prefix, part, split.group(2));
                Optional<RemoteFile> found = listing.stream().filter(f -> f.path().equalsIgnoreCase(name)).findFirst();
                if (found.isEmpty()) {
                    return failed("split model " + model.path() + " has " + count + " parts but the repository lacks "
                            + name);
                }
                files.add(found.get());
            }
            model = files.get(0); // llama.cpp is given the first part and finds the others beside it
        } else {
            files.add(model);
        }
        RemoteFile mmproj = isProjector(model) || !isGguf(model) ? null : projectorBeside(model, listing);
        if (mmproj != null) {
            files.add(mmproj);
        }
        return new FileSelection(model, mmproj, List.copyOf(files), null);
    }

    /**
     * As {@link #select(String, List)}, with the user's {@code --mmproj}: a relative path is a file of the
     * repository (the seed's shorthand), downloaded beside the model instead of the default projector; an absolute
     * path is the worker's own file, so no projector is downloaded.
     */
    public static FileSelection select(String pattern, List<RemoteFile> listing, String userProjector) {
        FileSelection chosen = select(pattern, listing);
        if (userProjector == null || chosen.problem() != null || chosen.model() == null) {
            return chosen;
        }
        List<RemoteFile> files = new ArrayList<>(chosen.files());
        if (chosen.mmproj() != null) {
            files.remove(chosen.mmproj());
        }
        if (!dev.gpufleet.events.Projectors.relative(userProjector)) {
            return new FileSelection(chosen.model(), null, List.copyOf(files), null);
        }
        String wanted = userProjector.replace('\\', '/').replaceFirst("^(\\./)+", "");
        Optional<RemoteFile> named = listing.stream().filter(f -> f.path().equals(wanted)).findFirst();
        if (named.isEmpty()) {
            return failed("--mmproj names " + userProjector + ", which the repository does not have; it has "
                    + sample(listing.stream().filter(f -> isProjector(f)).toList()));
        }
        files.add(named.get());
        return new FileSelection(chosen.model(), named.get(), List.copyOf(files), null);
    }

    private static RemoteFile projectorBeside(RemoteFile model, List<RemoteFile> listing) {
        List<RemoteFile> beside = listing.stream()
                .filter(f -> isProjector(f) && isGguf(f) && f.directory().equals(model.directory())).toList();
        // the one rule the registry uses too
        return dev.gpufleet.events.Projectors.choose(beside.stream().map(RemoteFile::name).toList())
                .flatMap(name -> beside.stream().filter(f -> f.name().equals(name)).findFirst()).orElse(null);
    }

    static boolean isProjector(RemoteFile file) {
        return FileChoice.isProjector(file.path());
    }

    private static boolean isGguf(RemoteFile file) {
        return file.name().toLowerCase(Locale.ROOT).endsWith(".gguf");
    }

    private static List<RemoteFile> sorted(List<RemoteFile> files) {
        List<RemoteFile> list = new ArrayList<>(files);
        list.sort(Comparator.comparing(RemoteFile::path));
        return List.copyOf(list);
    }

    private static FileSelection failed(String problem) {
        return new FileSelection(null, null, List.of(), problem);
    }

    private static String sample(List<RemoteFile> files) {
        return FileChoice.sample(files.stream().map(RemoteFile::path).toList(), NAMED_IN_PROBLEM);
    }

    /** The shared glob ({@link FileChoice#glob}). */
    static Pattern globToRegex(String glob) {
        return FileChoice.glob(glob);
    }
}
