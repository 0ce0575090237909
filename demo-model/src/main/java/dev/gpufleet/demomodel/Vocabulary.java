package dev.gpufleet.demomodel;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A SentencePiece-style ("llama") vocabulary with byte fallback. Ids: 0 {@code <unk>}, 1 {@code <s>}, 2
 * {@code </s>}, 3..258 the byte tokens {@code <0x00>}..{@code <0xFF>}, then pieces. SPM merges pairs of adjacent
 * pieces, so every prefix of a word piece is itself a piece; longer pieces score higher so whole words win.
 */
public final class Vocabulary {

    public static final String WORD_BOUNDARY = "\u2581";
    public static final int UNKNOWN_ID = 0;
    public static final int BOS_ID = 1;
    public static final int EOS_ID = 2;

    public static final int TYPE_NORMAL = 1;
    public static final int TYPE_UNKNOWN = 2;
    public static final int TYPE_CONTROL = 3;
    public static final int TYPE_UNUSED = 5;
    public static final int TYPE_BYTE = 6;

    private static final List<String> PUNCTUATION = List.of(".", ",", "!", "?", ":", "-", "0", "1", "2", "3");

    public enum Kind {
        /** Control tokens and the unknown token. */
        SPECIAL,
        BYTE,
        /** A letter, a word prefix or the bare word boundary: glue the tokenizer needs. */
        FRAGMENT,
        /** A whole word with its leading boundary, or punctuation: what a reader sees as text. */
        WORD
    }

    private final List<String> tokens = new ArrayList<>();
    private final List<Float> scores = new ArrayList<>();
    private final List<Integer> types = new ArrayList<>();
    private final List<Kind> kinds = new ArrayList<>();

    private Vocabulary() {
    }

    public static Vocabulary of(List<String> words) {
        return of(words, true);
    }

    /**
     * The same pieces without the byte tokens, for a WordPiece ("bert") tokenizer: llama.cpp has no byte fallback
     * for it (a byte token aborts its loading), and an unknown word becomes {@code <unk>}.
     */
    public static Vocabulary wordPiece(List<String> words) {
        return of(words, false);
    }

    private static Vocabulary of(List<String> words, boolean byteFallback) {
        Vocabulary v = new Vocabulary();
        v.add("<unk>", 0f, TYPE_UNKNOWN, Kind.SPECIAL);
        v.add("<s>", 0f, TYPE_CONTROL, Kind.SPECIAL);
        v.add("</s>", 0f, TYPE_CONTROL, Kind.SPECIAL);
        for (int b = 0; byteFallback && b < 256; b++) {
            v.add(String.format("<0x%02X>", b), 0f, TYPE_BYTE, Kind.BYTE);
        }
        Set<String> pieces = new LinkedHashSet<>();
        Set<String> wholeWords = new LinkedHashSet<>(PUNCTUATION);
        pieces.add(WORD_BOUNDARY);
        for (char c = 'a'; c <= 'z'; c++) {
            pieces.add(String.valueOf(c));
        }
        pieces.addAll(PUNCTUATION);
        for (String w : words) {
            String full = WORD_BOUNDARY + w;
            wholeWords.add(full);
            for (int len = 2; len <= full.length(); len++) {
                pieces.add(full.substring(0, len));
            }
        }
        for (String p : pieces) {
            v.add(p, -1000f + p.length() * 10f, TYPE_NORMAL, wholeWords.contains(p) ? Kind.WORD : Kind.FRAGMENT);
        }
        return v;
    }

    /**
     * {@link #of} filled up to exactly {@code size} tokens with unused placeholders ({@code <unused_N>}), as the
     * vocabularies of real models are padded to the row count of their embedding matrix.
     */
    public static Vocabulary padded(List<String> words, int size) {
        return padded(words, List.of(), size);
    }

    /**
     * {@link #padded(List, int)} with control tokens (chat markers a model's loader looks up by text) after the
     * words.
     */
    public static Vocabulary padded(List<String> words, List<String> controlTokens, int size) {
        Vocabulary v = of(words);
        for (String token : controlTokens) {
            v.add(token, 0f, TYPE_CONTROL, Kind.SPECIAL);
        }
        if (size < v.size()) {
            throw new IllegalArgumentException("a vocabulary of " + size + " tokens cannot hold these words ("
                    + v.size() + " tokens)");
        }
        for (int i = 0; v.size() < size; i++) {
            v.add("<unused_" + i + ">", -10_000f, TYPE_UNUSED, Kind.SPECIAL);
        }
        return v;
    }

    private void add(String token, float score, int type, Kind kind) {
        tokens.add(token);
        scores.add(score);
        types.add(type);
        kinds.add(kind);
    }

    public int size() {
        return tokens.size();
    }

    public List<String> tokens() {
        return Collections.unmodifiableList(tokens);
    }

    public Kind kind(int id) {
        return kinds.get(id);
    }

    public float[] scores() {
        float[] a = new float[scores.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = scores.get(i);
        }
        return a;
    }

    public int[] tokenTypes() {
        return types.stream().mapToInt(Integer::intValue).toArray();
    }
}
