package dev.gpufleet.events.spec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The directories a model's {@code local_path} source may point into ({@code gpufleet.models.local-roots}, on the
 * registry and on each agent). A path is inside a root when it is after resolving {@code ..} and every symbolic link
 * of the part of it that exists on this host, so neither {@code /models/../etc/shadow} nor a link under a root to
 * {@code /etc} gets out. No roots: no local path is accepted.
 */
public final class LocalRoots {
    public static final String SETTING = "gpufleet.models.local-roots";
    public static final String ENV = "GPUFLEET_MODELS_LOCAL_ROOTS";

    private final List<Path> roots;

    private LocalRoots(List<Path> roots) {
        this.roots = List.copyOf(roots);
    }

    /**
     * @param setting absolute directories separated by ',' (blank: none)
     * @throws IllegalArgumentException naming a root that is not an absolute path
     */
    public static LocalRoots parse(String setting) {
        List<Path> roots = new ArrayList<>();
        if (setting != null) {
            for (String part : setting.split(",")) {
                String text = part.strip();
                if (text.isEmpty()) {
                    continue;
                }
                Path root;
                try {
                    root = Path.of(text);
                } catch (InvalidPathException e) {
                    throw new IllegalArgumentException(SETTING + ": '" + text + "' is not a path");
                }
                if (!root.isAbsolute()) {
                    throw new IllegalArgumentException(SETTING + ": '" + text + "' must be an absolute directory");
                }
                roots.add(resolved(root));
            }
        }
        return new LocalRoots(roots);
    }

    public List<Path> roots() {
        return roots;
    }

    /** These roots and {@code root} (an agent's own download directory, say). */
    public LocalRoots with(Path root) {
        List<Path> more = new ArrayList<>(roots);
        more.add(resolved(root.toAbsolutePath()));
        return new LocalRoots(more);
    }

    /** @return why {@code path} may not be used, empty when it lies inside a root */
    public Optional<String> refusal(String path) {
        if (roots.isEmpty()) {
            return Optional.of("local paths are not accepted here: no " + SETTING + " (" + ENV + ") is configured; "
                    + "set it to the directories models may be loaded from");
        }
        Path candidate;
        try {
            candidate = Path.of(path);
        } catch (InvalidPathException e) {
            return Optional.of("must be a path, was '" + path + "'");
        }
        if (!candidate.isAbsolute()) {
            return Optional.of("must be an absolute path, was '" + path + "'");
        }
        Path real = resolved(candidate);
        if (roots.stream().anyMatch(real::startsWith)) {
            return Optional.empty();
        }
        return Optional.of("must lie under " + (roots.size() == 1 ? "the local root " : "one of the local roots ")
                + String.join(", ", roots.stream().map(Path::toString).toList()) + " (" + SETTING
                + "), after resolving '..' and symbolic links" + (real.toString().equals(path) ? ""
                : " ('" + path + "' is " + real + ")"));
    }

    /**
     * The path with its longest existing part replaced by its real path (every link and {@code ..} resolved the
     * way the kernel does) and the rest normalised.
     */
    static Path resolved(Path path) {
        Path existing = path;
        while (existing != null) {
            try {
                Path real = existing.toRealPath();
                Path rest = existing.relativize(path);
                return rest.toString().isEmpty() ? real : real.resolve(rest).normalize();
            } catch (IOException | SecurityException e) {
                existing = existing.getParent();
            }
        }
        return path.normalize();
    }
}
