package dev.gpufleet.events;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which file of a repository a model's {@code file_name} / {@code file_path} names: one rule for the registry (which
 * analyses that file) and the agent (which downloads it). A name or glob ({@code *q4_k_m.gguf}, {@code sub/m.gguf})
 * matches paths case-insensitively like GPUStack's fnmatch; of several matches the sorted first wins, after GGUF's
 * preferences: a model file before a {@code *mmproj*} projector (unless only projectors match), and a split model by
 * its first part ({@code -00001-of-0000N.gguf}). Pure.
 */
public final class FileChoice {
    public static final Pattern SPLIT_PART = Pattern.compile("-(\\d{5})-of-(\\d{5})\\.gguf$",
            Pattern.CASE_INSENSITIVE);

    private FileChoice() {
    }

    /** The paths the pattern matches, sorted. */
    public static List<String> matching(String pattern, Collection<String> paths) {
        Pattern glob = glob(pattern.strip());
        List<String> matches = new ArrayList<>();
        for (String path : paths) {
            if (glob.matcher(path).matches()) {
                matches.add(path);
            }
        }
        matches.sort(null);
        return matches;
    }

    /** The model file among sorted matches (not empty). */
    public static String pick(List<String> sortedMatches) {
        List<String> candidates = sortedMatches;
        List<String> models = candidates.stream().filter(p -> !isProjector(p)).toList();
        if (!models.isEmpty()) {
            candidates = models;
        }
        List<String> firstParts = candidates.stream().filter(FileChoice::isWholeOrFirstPart).toList();
        if (!firstParts.isEmpty()) {
            candidates = firstParts;
        }
        return candidates.get(0);
    }

    /** A projector by its file name ({@code mmproj} in it, any case). */
    public static boolean isProjector(String path) {
        return name(path).toLowerCase(Locale.ROOT).contains("mmproj");
    }

    public static boolean isWholeOrFirstPart(String path) {
        Matcher split = SPLIT_PART.matcher(path);
        return !split.find() || Integer.parseInt(split.group(1)) == 1;
    }

    /** Up to {@code shown} paths for a message, the GGUF files when there are any, then how many more. */
    public static String sample(Collection<String> paths, int shown) {
        if (paths.isEmpty()) {
            return "no files";
        }
        List<String> gguf = paths.stream().filter(p -> p.toLowerCase(Locale.ROOT).endsWith(".gguf")).sorted().toList();
        List<String> list = gguf.isEmpty() ? paths.stream().sorted().toList() : gguf;
        int more = list.size() - shown;
        return String.join(", ", list.subList(0, Math.min(shown, list.size())))
                + (more > 0 ? " and " + more + " more" : "");
    }

    /**
     * fnmatch: {@code *} any run (slashes too), {@code ?} one character, {@code [...]} a class ({@code [!...]}
     * negated); a {@code [} without a closing {@code ]} after at least one character is itself.
     */
    public static Pattern glob(String glob) {
        StringBuilder regex = new StringBuilder();
        for (int i = 0; i < glob.length(); i++) {
            char c = glob.charAt(i);
            if (c == '*') {
                regex.append(".*");
            } else if (c == '?') {
                regex.append('.');
            } else if (c == '[' && glob.indexOf(']', i + 1) > i + 1) {
                int close = glob.indexOf(']', i + 1);
                String body = glob.substring(i + 1, close);
                boolean negated = body.startsWith("!");
                body = (negated ? body.substring(1) : body).replace("\\", "\\\\").replace("[", "\\[");
                regex.append('[').append(negated ? "^" : "").append(body).append(']');
                i = close;
            } else {
                regex.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(regex.toString(), Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE | Pattern.DOTALL);
    }

    private static String name(String path) {
        int slash = path.lastIndexOf('/');
        return slash < 0 ? path : path.substring(slash + 1);
    }
}
