package dev.gpufleet.llamacpp.engine;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * java-llama.cpp returns the rendered chat template through JNI's NewStringUTF, which mangles characters outside
 * the Basic Multilingual Plane (emoji) and truncates the string. So they are swapped for private-use characters
 * that do not occur in the texts before rendering, and swapped back afterwards.
 */
final class SupplementaryCharacters {

    private static final char FIRST_PRIVATE_USE = '\uE000';
    private static final char LAST_PRIVATE_USE = '\uF8FF';

    private final Map<Integer, Character> placeholders;
    private final Map<Character, Integer> originals = new LinkedHashMap<>();

    private SupplementaryCharacters(Map<Integer, Character> placeholders) {
        this.placeholders = placeholders;
        placeholders.forEach((codePoint, placeholder) -> originals.put(placeholder, codePoint));
    }

    /** Empty when the texts use more distinct supplementary characters than there are free placeholders. */
    static Optional<SupplementaryCharacters> forTexts(List<String> texts) {
        Map<Integer, Character> placeholders = new LinkedHashMap<>();
        boolean[] used = new boolean[LAST_PRIVATE_USE - FIRST_PRIVATE_USE + 1];
        for (String text : texts) {
            text.chars().filter(c -> c >= FIRST_PRIVATE_USE && c <= LAST_PRIVATE_USE)
                    .forEach(c -> used[c - FIRST_PRIVATE_USE] = true);
        }
        char next = FIRST_PRIVATE_USE;
        for (String text : texts) {
            for (int cp : (Iterable<Integer>) text.codePoints()::iterator) {
                if (Character.isSupplementaryCodePoint(cp) && !placeholders.containsKey(cp)) {
                    while (next <= LAST_PRIVATE_USE && used[next - FIRST_PRIVATE_USE]) {
                        next++;
                    }
                    if (next > LAST_PRIVATE_USE) {
                        return Optional.empty();
                    }
                    placeholders.put(cp, next++);
                }
            }
        }
        return Optional.of(new SupplementaryCharacters(placeholders));
    }

    String hide(String text) {
        if (placeholders.isEmpty()) {
            return text;
        }
        StringBuilder sb = new StringBuilder(text.length());
        text.codePoints().forEach(cp -> {
            Character placeholder = placeholders.get(cp);
            if (placeholder != null) {
                sb.append(placeholder.charValue());
            } else {
                sb.appendCodePoint(cp);
            }
        });
        return sb.toString();
    }

    String restore(String text) {
        if (placeholders.isEmpty()) {
            return text;
        }
        StringBuilder sb = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            Integer original = originals.get(c);
            if (original != null) {
                sb.appendCodePoint(original);
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
