package dev.gpufleet.events;

import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The one rule for a GGUF model's multimodal projector, shared by the registry (sizing) and the agent (download
 * and launch). The seed: by default a file matching {@code *mmproj*.gguf} beside the model; when several match,
 * the higher precision ({@code f32} before {@code f16} before the rest, then by name, descending). A user's
 * {@code --mmproj} wins; a relative path there is a path in the model's source (the repository, or the directory
 * of a local model), which the agent downloads and resolves.
 */
public final class Projectors {
    private Projectors() {
    }

    /** Whether a file name is a projector candidate: {@code *mmproj*.gguf}, any case. */
    public static boolean isProjector(String fileName) {
        String n = fileName.toLowerCase(Locale.ROOT);
        return n.contains("mmproj") && n.endsWith(".gguf");
    }

    /** The projector among these file names (names, not paths), or none. */
    public static Optional<String> choose(Collection<String> fileNames) {
        return fileNames.stream().filter(Projectors::isProjector)
                .min(Comparator.comparingInt(Projectors::precisionRank).thenComparing(Comparator.reverseOrder()));
    }

    /** 0 for f32, 1 for f16, 2 for the rest: lower is chosen first. */
    public static int precisionRank(String fileName) {
        String n = fileName.toLowerCase(Locale.ROOT);
        return n.contains("f32") ? 0 : n.contains("f16") ? 1 : 2;
    }

    /** The value of the user's last {@code --mmproj X}, {@code --mmproj=X} or {@code "--mmproj X"}; null if none. */
    public static String userProjector(List<String> parameters) {
        String found = null;
        for (int i = 0; i < parameters.size(); i++) {
            String a = parameters.get(i) == null ? "" : parameters.get(i).trim();
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

    /** A path in the model's source rather than on the worker: neither POSIX-absolute nor a Windows drive path. */
    public static boolean relative(String path) {
        return path != null && !path.startsWith("/") && !path.matches("[A-Za-z]:[\\\\/].*");
    }

    /** {@code parameters} with every {@code --mmproj} replaced by one {@code --mmproj path} at the end. */
    public static List<String> withProjector(List<String> parameters, String path) {
        List<String> out = new java.util.ArrayList<>();
        for (int i = 0; i < parameters.size(); i++) {
            String a = parameters.get(i) == null ? "" : parameters.get(i).trim();
            if (a.equals("--mmproj")) {
                i++; // its value
            } else if (!a.startsWith("--mmproj=") && !a.startsWith("--mmproj ")) {
                out.add(parameters.get(i));
            }
        }
        out.add("--mmproj");
        out.add(path);
        return List.copyOf(out);
    }
}
