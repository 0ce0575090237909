package dev.gpufleet.registry.hub;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Resolves a file name or glob ({@code *q4_k_m.gguf}, {@code *Q4_K_M*.gguf}, {@code sub/dir/model.gguf}) against a
 * repository listing, case-insensitively like GPUStack's fnmatch on Hugging Face listings. Of several matches the
 * sorted first one wins, after GGUF-specific preferences: a split model is named by its first part
 * ({@code -00001-of-0000N.gguf}), and a model file beats a {@code *mmproj*} projector unless only projectors match.
 * Pure.
 */
public final class FileMatcher {
    static final Pattern SPLIT_PART = Pattern.compile("-(\\d{5})-of-(\\d{5})\\.gguf$", Pattern.CASE_INSENSITIVE);
    private static final int FILES_NAMED_IN_PROBLEM = 8;

    private FileMatcher() {
    }

    public static FileResolution resolve(String pattern, List<HubFile> files) {
        if (pattern == null || pattern.isBlank()) {
            return new FileResolution(null, List.of(), "no file name or pattern given");
        }
        Pattern glob = globToRegex(pattern.strip());
        List<HubFile> matches = new ArrayList<>();
        for (HubFile file : files) {
            if (glob.matcher(file.path()).matches()) {
                matches.add(file);
            }
        }
        matches.sort(Comparator.comparing(HubFile::path));
        if (matches.isEmpty()) {
            return new FileResolution(null, List.of(), "no file matches '" + pattern + "'; the repository has "
                    + sample(files));
        }
        return new FileResolution(pick(matches), matches, null);
    }

    private static HubFile pick(List<HubFile> sortedMatches) {
        List<HubFile> candidates = sortedMatches;
        List<HubFile> models = candidates.stream().filter(f -> !isProjector(f)).toList();
        if (!models.isEmpty()) {
            candidates = models;
        }
        List<HubFile> wholeOrFirstParts = candidates.stream().filter(FileMatcher::isWholeOrFirstPart).toList();
        if (!wholeOrFirstParts.isEmpty()) {
            candidates = wholeOrFirstParts;
        }
        return candidates.get(0);
    }

    static boolean isProjector(HubFile file) {
        return file.name().toLowerCase(Locale.ROOT).contains("mmproj");
    }

    static boolean isWholeOrFirstPart(HubFile file) {
        Matcher split = SPLIT_PART.matcher(file.path());
        return !split.find() || Integer.parseInt(split.group(1)) == 1;
    }

    private static String sample(List<HubFile> files) {
        if (files.isEmpty()) {
            return "no files";
        }
        List<String> gguf = files.stream().map(HubFile::path)
                .filter(p -> p.toLowerCase(Locale.ROOT).endsWith(".gguf")).sorted().toList();
        List<String> shown = gguf.isEmpty() ? files.stream().map(HubFile::path).sorted().toList() : gguf;
        String listed = String.join(", ", shown.subList(0, Math.min(FILES_NAMED_IN_PROBLEM, shown.size())));
        int more = shown.size() - FILES_NAMED_IN_PROBLEM;
        return listed + (more > 0 ? " and " + more + " more" : "");
    }

    /** fnmatch rules: {@code *} any run (slashes too), {@code ?} one character, {@code [...]} a class. */
    static Pattern globToRegex(String glob) {
        StringBuilder regex = new StringBuilder();
        for (int i = 0; i < glob.length(); i++) {
            char c = glob.charAt(i);
            if (c == '*') {
                regex.append(".*");
            } else if (c == '?') {
                regex.append('.');
            } else if (c == '[') {
                int close = glob.indexOf(']', i + 1);
                if (close < 0) {
                    regex.append("\\[");
                } else {
                    String body = glob.substring(i + 1, close);
                    if (body.startsWith("!")) {
                        body = "^" + body.substring(1);
                    }
                    regex.append('[').append(body.replace("\\", "\\\\")).append(']');
                    i = close;
                }
            } else {
                regex.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(regex.toString(), Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE | Pattern.DOTALL);
    }
}
