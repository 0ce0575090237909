package dev.gpufleet.gateway.usage;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads the root {@code usage} of a whole JSON answer from its end. Backends put usage near the end, after the
 * choices whose text is most of the answer, so walking back over the root's last few members finds it without
 * stepping over that text, as the forward {@link UsageScanner} must.
 *
 * <p>It walks back member by member over at most {@link #BOUND} bytes and gives up ({@link #UNKNOWN}: scan forward)
 * on anything it does not expect. A usage object of plain members ({@code "key": digits}) it counts in place by the
 * forward scanner's rule ({@link UsageScanner#counted}); any other it feeds to a {@link UsageScanner} as
 * {@code {"usage":VALUE}}, so every counting rule stays the forward scanner's. For a well-formed document the result
 * is the forward scanner's; for a malformed one it may differ where the forward scanner would read the part before
 * the bytes walked otherwise (both then read garbage). Never throws, never reads outside the range given.
 */
final class UsageTail {
    /** How far back from the end the walk goes before it gives up: past llama.cpp's timings, vLLM's extra fields. */
    static final int BOUND = 2048;

    /** What the tail says about a document. */
    record Result(boolean known, TokenUsage usage) {
    }

    /** The tail could not tell: scan the document forward. */
    static final Result UNKNOWN = new Result(false, null);
    /** Every member of the root was seen: it has no usage object. */
    static final Result NONE = new Result(true, null);

    private static final byte[] PREFIX = "{\"usage\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SUFFIX = {'}'};
    private static final byte[] USAGE = "usage".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PROMPT_TOKENS = "prompt_tokens".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] COMPLETION_TOKENS = "completion_tokens".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] TOTAL_TOKENS = "total_tokens".getBytes(StandardCharsets.US_ASCII);

    private final byte[] bytes;
    /** The lowest index the walk may read: the document's start, or BOUND bytes before its end. */
    private final int floor;

    private UsageTail(byte[] bytes, int floor) {
        this.bytes = bytes;
        this.floor = floor;
    }

    static Result of(byte[] bytes, int offset, int length) {
        if (bytes == null || offset < 0 || length <= 0 || offset > bytes.length - length) {
            return UNKNOWN;
        }
        int end = offset + length;
        return new UsageTail(bytes, Math.max(offset, end - BOUND)).walk(offset, end - 1);
    }

    private Result walk(int start, int last) {
        int i = whitespace(last);
        if (i < floor || bytes[i] != '}') {
            return UNKNOWN;
        }
        i = whitespace(i - 1);
        if (i >= floor && bytes[i] == '{') {
            return rootOpens(start, i);
        }
        while (i >= floor) {
            int valueEnd = i;
            int valueStart = value(i);
            if (valueStart < 0) {
                return UNKNOWN;
            }
            i = whitespace(valueStart - 1);
            if (i < floor || bytes[i] != ':') {
                return UNKNOWN;
            }
            i = whitespace(i - 1);
            if (i < floor || bytes[i] != '"' || !unescaped(i)) {
                return UNKNOWN;
            }
            int keyEnd = i;
            int keyStart = stringStart(i);
            if (keyStart < 0) {
                return UNKNOWN;
            }
            i = whitespace(keyStart - 1);
            if (i < floor || (bytes[i] != ',' && bytes[i] != '{')) {
                return UNKNOWN;
            }
            if (bytes[valueStart] == '{' && is(keyStart + 1, keyEnd, USAGE)) {
                if (bytes[i] == '{' && rootOpens(start, i) != NONE) {
                    return UNKNOWN;
                }
                TokenUsage flat = flatUsage(valueStart, valueEnd);
                if (flat != null) {
                    return new Result(true, flat);
                }
                UsageScanner scanner = UsageScanner.incremental();
                scanner.feed(PREFIX);
                scanner.feed(bytes, valueStart, valueEnd + 1 - valueStart);
                scanner.feed(SUFFIX);
                scanner.end();
                return new Result(true, scanner.usage());
            }
            // a usage that is not an object counts for nothing, as in the forward scan: go on to the members before
            if (bytes[i] == '{') {
                return rootOpens(start, i);
            }
            i = whitespace(i - 1);
        }
        return UNKNOWN;
    }

    /**
     * The usage object from {@code open} to {@code close} (its braces) read directly when it holds only plain
     * members, keys without escapes and values of at most 18 digits, as llama.cpp and most backends send it: the
     * scanner's counting rules for that shape (the last of a repeated key wins). Null for anything else (nested
     * details, null, decimals, escapes, longer numbers), which the scanner counts.
     */
    private TokenUsage flatUsage(int open, int close) {
        long prompt = 0;
        long completion = 0;
        long total = 0;
        int i = skipWhitespace(open + 1, close);
        while (i < close) {
            if (bytes[i] != '"') {
                return null;
            }
            int keyStart = i + 1;
            int keyEnd = keyStart;
            while (keyEnd < close && bytes[keyEnd] != '"' && bytes[keyEnd] != '\\') {
                keyEnd++;
            }
            if (keyEnd >= close || bytes[keyEnd] != '"') {
                return null;
            }
            i = skipWhitespace(keyEnd + 1, close);
            if (i >= close || bytes[i] != ':') {
                return null;
            }
            i = skipWhitespace(i + 1, close);
            int digits = i;
            long value = 0;
            while (i < close && i - digits < 18 && bytes[i] >= '0' && bytes[i] <= '9') {
                value = value * 10 + (bytes[i++] - '0');
            }
            if (i == digits) {
                return null;
            }
            i = skipWhitespace(i, close);
            if (is(keyStart, keyEnd, PROMPT_TOKENS)) {
                prompt = value;
            } else if (is(keyStart, keyEnd, COMPLETION_TOKENS)) {
                completion = value;
            } else if (is(keyStart, keyEnd, TOTAL_TOKENS)) {
                total = value;
            }
            if (i < close) {
                if (bytes[i] != ',') {
                    return null;
                }
                i = skipWhitespace(i + 1, close);
                if (i >= close) {
                    return null; // a comma before the closing brace
                }
            }
        }
        return UsageScanner.counted(prompt, completion, total);
    }

    private int skipWhitespace(int i, int limit) {
        while (i < limit && isWhitespace(bytes[i])) {
            i++;
        }
        return i;
    }

    /** The walk reached a '{' where the root's opening brace belongs: it is one if only whitespace precedes it. */
    private Result rootOpens(int start, int brace) {
        if (start < floor) {
            return UNKNOWN;
        }
        for (int i = start; i < brace; i++) {
            if (!isWhitespace(bytes[i])) {
                return UNKNOWN;
            }
        }
        return NONE;
    }

    /** The start of the value that ends at {@code i}; -1 when it is not one. */
    private int value(int i) {
        byte b = bytes[i];
        if (b == '"') {
            return unescaped(i) ? stringStart(i) : -1;
        }
        if (b == '}' || b == ']') {
            return containerStart(i);
        }
        // a number, true, false or null: back over its characters
        int j = i;
        while (j >= floor && isLiteral(bytes[j])) {
            j--;
        }
        return j == i ? -1 : j + 1;
    }

    /** The opening bracket of the object or array that closes at {@code i}, brackets in strings not counted. */
    private int containerStart(int i) {
        byte close = bytes[i];
        int depth = 0;
        for (int j = i; j >= floor; j--) {
            byte b = bytes[j];
            if (b == '}' || b == ']') {
                depth++;
            } else if (b == '{' || b == '[') {
                if (--depth == 0) {
                    return (b == '{') == (close == '}') ? j : -1;
                }
            } else if (b == '"') {
                j = unescaped(j) ? stringStart(j) : -1;
                if (j < 0) {
                    return -1;
                }
            }
        }
        return -1;
    }

    /**
     * The opening quote of the string whose closing quote is at {@code i}. Walking backward, a quote cannot tell by
     * itself whether it ends the string: it is text when an escape precedes it, that is, when an odd number of
     * backslashes stands right before it ({@code \"} is a quote in the text, {@code \\"} a backslash in the text
     * and then the end). So the opening quote is the nearest quote before {@code i} preceded by an even number of
     * backslashes. -1 when there is none within the bound.
     */
    private int stringStart(int i) {
        for (int j = i - 1; j >= floor; j--) {
            if (bytes[j] == '"') {
                int backslashes = 0;
                int k = j - 1;
                while (k >= floor && bytes[k] == '\\') {
                    backslashes++;
                    k--;
                }
                if (k < floor) {
                    return -1; // the run of backslashes may go on below the bound: cannot tell
                }
                if ((backslashes & 1) == 0) {
                    return j;
                }
                j = k + 1;
            }
        }
        return -1;
    }

    /** Whether the quote at {@code i} is not escaped (an even number of backslashes before it, all within bound). */
    private boolean unescaped(int i) {
        int k = i - 1;
        while (k >= floor && bytes[k] == '\\') {
            k--;
        }
        return k >= floor && ((i - 1 - k) & 1) == 0;
    }

    /** Whether the raw bytes in [from, to) are exactly {@code name} (a key spelled with escapes is never one). */
    private boolean is(int from, int to, byte[] name) {
        return to - from == name.length && Arrays.equals(bytes, from, to, name, 0, name.length);
    }

    /** The index of the last non-whitespace byte at or before {@code i}; below {@link #floor} when none. */
    private int whitespace(int i) {
        while (i >= floor && isWhitespace(bytes[i])) {
            i--;
        }
        return i;
    }

    private static boolean isWhitespace(byte b) {
        return b == ' ' || b == '\t' || b == '\r' || b == '\n';
    }

    private static boolean isLiteral(byte b) {
        return (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || b == '-' || b == '+'
                || b == '.';
    }
}
