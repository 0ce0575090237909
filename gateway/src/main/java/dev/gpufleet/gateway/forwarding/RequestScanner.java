package dev.gpufleet.gateway.forwarding;

import dev.gpufleet.gateway.json.JsonBytes;
import dev.gpufleet.gateway.routing.PrefixHasher;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.OptionalLong;
import java.util.function.Predicate;

/**
 * The byte-level reader behind {@link ForwardRequest#parse}: one pass over the body that checks it is exactly one
 * JSON object (RFC 8259, UTF-8) and takes out {@code model}, {@code stream} and the prefix affinity key of the
 * prompt's leading text, where a JSON parser would first decode every string and field name into characters only
 * for most of them to be thrown away. Gives the same result as the Jackson streaming parser it replaced (with the
 * key of its leading text) for every well-formed body (see {@code ForwardRequestDifferentialTest}), including
 * Jackson's default limits (nesting depth 1,000, numbers of 1,000 digits, field names of 50,000 bytes).
 *
 * <p>Nesting is tracked in a bit stack, not on the Java stack, so no body can overflow it. What is skipped is only
 * checked (plain string text eight bytes at a time), never decoded or copied. Strings are decoded only where their
 * text is used: {@code model} and the field names that matter (at the top level and inside collected objects),
 * ASCII without escapes with one {@code new String(bytes, off, len, ISO_8859_1)}. Collected text is only
 * checked on the way; where its strings start is noted, and once the model is known and its key is wanted (a
 * model with one instance has no use for it), those strings are fed straight from the body into a
 * {@link PrefixHasher} (plain ASCII runs in bulk), as far as the key has room, never kept as text.
 */
final class RequestScanner {
    static final int MAX_DEPTH = 1000;
    static final int MAX_NUMBER_DIGITS = 1000;
    static final int MAX_NAME_BYTES = 50_000;

    /** What a byte inside a string is: plain ASCII, the closing quote, an escape, a control character, or UTF-8. */
    private static final byte PLAIN = 0;
    private static final byte QUOTE = 1;
    private static final byte BACKSLASH = 2;
    private static final byte CONTROL = 3;
    private static final byte NON_ASCII = 4;
    private static final byte[] IN_STRING = new byte[256];

    static {
        for (int c = 0; c < 0x20; c++) {
            IN_STRING[c] = CONTROL;
        }
        for (int c = 0x80; c < 0x100; c++) {
            IN_STRING[c] = NON_ASCII;
        }
        IN_STRING['"'] = QUOTE;
        IN_STRING['\\'] = BACKSLASH;
    }

    /** The meaning of a value directly in the top-level object, by its field name. */
    private static final int OTHER = 0;
    private static final int MODEL = 1;
    private static final int STREAM = 2;
    private static final int TEXT = 3;

    private static final byte[] K_MODEL = ascii("model");
    private static final byte[] K_STREAM = ascii("stream");
    private static final byte[] K_MESSAGES = ascii("messages");
    private static final byte[] K_PROMPT = ascii("prompt");
    private static final byte[] K_INPUT = ascii("input");
    private static final byte[] K_QUERY = ascii("query");
    private static final byte[] K_CONTENT = ascii("content");
    private static final byte[] K_TEXT = ascii("text");

    private final byte[] b;
    /** The leading text is cut after this many UTF-16 chars: what the key can depend on, at most 4,096. */
    private final int maxLeading;
    private final PrefixHasher hasher;
    private final int offset;
    private final int end;
    private int pos;

    /** Containers open around {@link #pos}; the top-level object is depth 1. */
    private int depth;
    /** Bit d set: the container at depth d (< 64) is an object, else an array. */
    private long objects;
    /** The same bits for every depth, once the body nests 64 deep. */
    private long[] deepObjects;
    /**
     * The shallowest open container whose text is not collected; every container below it is not collected either
     * (a skipped value's children are skipped), so one depth describes the whole stack.
     */
    private int skipFrom = Integer.MAX_VALUE;
    /** Whether the value about to be read counts toward the leading text. */
    private boolean collect;
    /** What the value about to be read means, when it is directly in the top-level object. */
    private int rootField;

    private String model;
    private boolean modelSeen;
    private boolean stream;

    /**
     * The collected strings, in order, as pairs: where each begins (its opening quote) and, for one of plain ASCII
     * without escapes, the length of its text (else -1); hashed after the scan if the key is wanted.
     */
    private int[] textSpans = new int[8];
    private int textCount;
    /** Bytes inside the collected strings noted so far; noting stops once they must hold the leading text. */
    private long textBytes;

    private RequestScanner(byte[] body, int offset, int length, int blockChars, int maxBlocks, int maxLeadingChars) {
        this.hasher = new PrefixHasher(blockChars, maxBlocks);
        this.maxLeading = Math.max(0, Math.min(maxLeadingChars, hasher.room()));
        this.b = body;
        this.offset = offset;
        this.end = offset + length;
        this.pos = offset;
    }

    /**
     * @param blockChars      block size of the affinity key ({@code PrefixKey})
     * @param maxBlocks       blocks it hashes at most
     * @param maxLeadingChars the leading text is cut after this many chars (before the blocks are counted)
     * @param keyWanted       whether the request for this model needs its affinity key (asked once the whole
     *                        body has been checked and names a model); if not, no text is decoded or hashed
     */
    static ForwardRequest scan(byte[] body, int offset, int length, int blockChars, int maxBlocks,
                               int maxLeadingChars, Predicate<String> keyWanted) throws ForwardRequest.Rejected {
        if (offset < 0 || length < 0 || offset + length > body.length) {
            throw new IndexOutOfBoundsException("offset " + offset + ", length " + length + " of " + body.length);
        }
        RequestScanner scanner = new RequestScanner(body, offset, length, blockChars, maxBlocks, maxLeadingChars);
        scanner.collect = true; // the top-level object itself: its fields decide
        scanner.document();
        ForwardRequest request = ForwardRequest.checked(scanner.model, scanner.modelSeen, scanner.stream,
                OptionalLong.empty());
        if (scanner.textCount == 0 || !keyWanted.test(request.model())) {
            return request;
        }
        return new ForwardRequest(request.model(), request.stream(), scanner.hashNotedText());
    }

    /** The affinity key of the noted strings, in order, as far as the key has room; after a successful scan. */
    private OptionalLong hashNotedText() {
        try {
            for (int i = 0; i < textCount && leadingRoom() > 0; i++) {
                int start = textSpans[2 * i];
                int plainLength = textSpans[2 * i + 1];
                if (plainLength >= 0) {
                    // what collectString would do with it, without stepping over its text again
                    hasher.addLatin1(b, start + 1, Math.min(leadingRoom(), plainLength));
                } else {
                    pos = start;
                    collectString();
                }
            }
        } catch (ForwardRequest.Rejected impossible) {
            throw new IllegalStateException("a string the scan accepted was refused on the second reading",
                    impossible);
        }
        return hasher.key();
    }

    private void document() throws ForwardRequest.Rejected {
        // RFC 8259 §8.1 lets a parser ignore a byte order mark; Jackson skips a UTF-8 one, and so do we
        if (end - pos >= 3 && b[pos] == (byte) 0xEF && b[pos + 1] == (byte) 0xBB && b[pos + 2] == (byte) 0xBF) {
            pos += 3;
        }
        whitespace();
        if (pos == end) {
            throw invalid("the body is empty (expected a JSON object)");
        }
        int first = b[pos] & 0xFF;
        if (first != '{') {
            String what = switch (first) {
                case '[' -> "an array";
                case '"' -> "a string";
                case 't', 'f' -> "a boolean";
                case 'n' -> "null";
                case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9' -> "a number";
                default -> null;
            };
            if (what != null) {
                throw ForwardRequest.invalidBody("The request body must be a JSON object, not " + what + ".");
            }
            throw unexpected(first, "'{'");
        }
        value();
        whitespace();
        if (pos != end) {
            throw invalid("unexpected " + describe(b[pos] & 0xFF) + " at byte " + at(pos)
                    + " after the end of the JSON object (the body must be exactly one JSON object)");
        }
    }

    /** Reads one value, with everything nested in it, from {@link #pos}; without recursion. */
    private void value() throws ForwardRequest.Rejected {
        int base = depth;
        while (true) {
            // one value at pos (whitespace before it already skipped)
            if (pos >= end) {
                throw endOfBody("a value");
            }
            int c = b[pos] & 0xFF;
            if (depth == 1) {
                // a value directly in the top-level object: the loop of the Jackson version overwrote, last one wins
                if (rootField == MODEL) {
                    modelSeen = c != 'n';
                    model = null;
                } else if (rootField == STREAM) {
                    stream = c == 't';
                }
            }
            boolean opened = false;
            switch (c) {
                case '"' -> {
                    if (depth == 1 && rootField == MODEL) {
                        model = string();
                    } else if (collect && textBytes < MAX_BYTES_PER_CHAR * maxLeading) {
                        noteString();
                    } else {
                        skipString();
                    }
                }
                case '{', '[' -> {
                    pos++;
                    open(c == '{');
                    whitespace();
                    if (pos < end && (b[pos] & 0xFF) == (c == '{' ? '}' : ']')) {
                        pos++;
                        close();
                    } else if (c == '{') {
                        field();
                        opened = true;
                    } else {
                        collect = depth < skipFrom;
                        opened = true;
                    }
                }
                case 't' -> literal("true");
                case 'f' -> literal("false");
                case 'n' -> literal("null");
                case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9' -> number();
                default -> throw unexpected(c, "a value");
            }
            if (opened) {
                continue; // the container's first value comes next
            }
            // the value is complete: close what ends here and find the next value, if any
            boolean next = false;
            while (depth > base && !next) {
                whitespace();
                if (pos >= end) {
                    throw endOfBody(isObject(depth) ? "',' or '}'" : "',' or ']'");
                }
                int s = b[pos++] & 0xFF;
                if (isObject(depth)) {
                    if (s == ',') {
                        whitespace();
                        field();
                        next = true;
                    } else if (s == '}') {
                        close();
                    } else {
                        throw unexpected(s, pos - 1, "',' or '}'");
                    }
                } else if (s == ',') {
                    whitespace();
                    collect = depth < skipFrom;
                    next = true;
                } else if (s == ']') {
                    close();
                } else {
                    throw unexpected(s, pos - 1, "',' or ']'");
                }
            }
            if (!next) {
                return;
            }
        }
    }

    private void open(boolean object) throws ForwardRequest.Rejected {
        if (depth == MAX_DEPTH) {
            throw invalid("arrays and objects nest deeper than " + MAX_DEPTH + " levels at byte " + at(pos - 1)
                    + " (at most " + MAX_DEPTH + " are allowed)");
        }
        depth++;
        if (!collect && skipFrom == Integer.MAX_VALUE) {
            skipFrom = depth;
        }
        if (depth < 64) {
            objects = object ? objects | (1L << depth) : objects & ~(1L << depth);
        } else {
            if (deepObjects == null) {
                deepObjects = new long[MAX_DEPTH / 64 + 1];
            }
            long bit = 1L << (depth & 63);
            int word = depth >>> 6;
            deepObjects[word] = object ? deepObjects[word] | bit : deepObjects[word] & ~bit;
        }
    }

    private void close() {
        if (depth == skipFrom) {
            skipFrom = Integer.MAX_VALUE;
        }
        depth--;
    }

    private boolean isObject(int d) {
        return d < 64 ? (objects & (1L << d)) != 0 : (deepObjects[d >>> 6] & (1L << (d & 63))) != 0;
    }

    /** A field name and its colon, at {@link #pos}; decides what the value after it means. */
    private void field() throws ForwardRequest.Rejected {
        if (pos >= end) {
            throw endOfBody("'\"' to start a field name");
        }
        if (b[pos] != '"') {
            throw unexpected(b[pos] & 0xFF, "'\"' to start a field name");
        }
        int start = pos;
        boolean named = depth == 1 || depth < skipFrom; // its name decides something
        if (named) {
            int plainEnd = plainRun(pos + 1);
            if (plainEnd < end && b[plainEnd] == '"') {
                pos = plainEnd + 1;
                nameIs(start + 1, plainEnd - start - 1);
            } else {
                nameIs(string()); // escapes or non-ASCII: rare; decoded to compare
            }
        } else {
            skipString();
        }
        if (pos - start - 2 > MAX_NAME_BYTES) {
            throw invalid("a field name of " + (pos - start - 2) + " bytes at byte " + at(start) + " (at most "
                    + MAX_NAME_BYTES + " are allowed)");
        }
        whitespace();
        if (pos >= end) {
            throw endOfBody("':'");
        }
        if (b[pos] != ':') {
            throw unexpected(b[pos] & 0xFF, "':'");
        }
        pos++;
        whitespace();
    }

    private void nameIs(int start, int length) {
        if (depth == 1) {
            rootField = matches(start, length, K_MODEL) ? MODEL
                    : matches(start, length, K_STREAM) ? STREAM
                    : matches(start, length, K_MESSAGES) || matches(start, length, K_PROMPT)
                    || matches(start, length, K_INPUT) || matches(start, length, K_QUERY) ? TEXT : OTHER;
            collect = rootField == TEXT;
        } else {
            collect = matches(start, length, K_CONTENT) || matches(start, length, K_TEXT);
        }
    }

    private void nameIs(String name) {
        if (depth == 1) {
            rootField = switch (name) {
                case "model" -> MODEL;
                case "stream" -> STREAM;
                case "messages", "prompt", "input", "query" -> TEXT;
                default -> OTHER;
            };
            collect = rootField == TEXT;
        } else {
            collect = name.equals("content") || name.equals("text");
        }
    }

    private boolean matches(int start, int length, byte[] word) {
        if (length != word.length) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            if (b[start + i] != word[i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * The first index from {@code from} that is not plain ASCII inside a string (or {@link #end}). Eight bytes at a
     * time: most of a request is prompt text, and a byte-at-a-time loop over it cost as much as Jackson's parse.
     */
    private int plainRun(int from) {
        int i = from;
        while (i <= end - 8) {
            long special = special(JsonBytes.word(b, i));
            if (special != 0) {
                return i + (Long.numberOfTrailingZeros(special) >>> 3);
            }
            i += 8;
        }
        while (i < end && IN_STRING[b[i] & 0xFF] == PLAIN) {
            i++;
        }
        return i;
    }

    /**
     * The high bit of each byte of {@code word} that is a quote, a backslash, a control character or non-ASCII;
     * exact for the lowest such byte (the usual "has zero byte" tricks may also flag bytes above it).
     */
    private static long special(long word) {
        return JsonBytes.quotesAndBackslashes(word) | ((word - 0x2020202020202020L) & ~word | word)
                & 0x8080808080808080L;
    }

    /** The string at {@link #pos} (on its opening quote), decoded whole. */
    private String string() throws ForwardRequest.Rejected {
        int start = pos + 1;
        int plainEnd = plainRun(start);
        if (plainEnd < end && b[plainEnd] == '"') {
            pos = plainEnd + 1;
            return new String(b, start, plainEnd - start, StandardCharsets.ISO_8859_1);
        }
        StringBuilder decoded = new StringBuilder(plainEnd - start + 16);
        appendLatin1(decoded, start, plainEnd);
        pos = plainEnd;
        decode(decoded);
        return decoded.toString();
    }

    /**
     * The most bytes one UTF-16 char of a JSON string can take ({@code \\uXXXX}; a 4-byte UTF-8 sequence is two
     * chars): strings of this many bytes per char of room hold at least the leading text the key can use.
     */
    private static final long MAX_BYTES_PER_CHAR = 6;

    /** Steps over the string at {@link #pos} (on its opening quote), checking it, and notes where it lies. */
    private void noteString() throws ForwardRequest.Rejected {
        int start = pos;
        int plainEnd = plainRun(start + 1);
        int plainLength = -1;
        if (plainEnd < end && b[plainEnd] == '"') {
            plainLength = plainEnd - start - 1;
            pos = plainEnd + 1;
        } else {
            pos = plainEnd;
            skipRest();
        }
        if (2 * textCount == textSpans.length) {
            textSpans = Arrays.copyOf(textSpans, 2 * textSpans.length);
        }
        textSpans[2 * textCount] = start;
        textSpans[2 * textCount + 1] = plainLength;
        textCount++;
        textBytes += pos - start - 2;
    }

    /** How many more UTF-16 chars of leading text to hash (the hasher counts those it has taken). */
    private int leadingRoom() {
        return maxLeading - (int) hasher.length();
    }

    /**
     * Hashes the string at {@link #pos} as leading text, as far as there is room (cut after as many UTF-16 chars
     * as {@code append(text, 0, room)} did); the rest is only checked.
     */
    private void collectString() throws ForwardRequest.Rejected {
        int start = pos + 1;
        int plainEnd = plainRun(start);
        hasher.addLatin1(b, start, Math.min(leadingRoom(), plainEnd - start));
        pos = plainEnd;
        if (plainEnd < end && b[plainEnd] == '"') {
            pos++;
            return;
        }
        decodeText();
    }

    /**
     * Decodes the rest of the string at {@link #pos} (inside it) into the hash until the leading text holds
     * {@link #maxLeading} chars, then only checks the rest; leaves {@link #pos} after the closing
     * quote. A character cut by the limit keeps its first UTF-16 char only, as {@code append(text, 0, room)} did.
     */
    private void decodeText() throws ForwardRequest.Rejected {
        while (leadingRoom() > 0) {
            if (pos >= end) {
                throw endOfBody("'\"' to end the string");
            }
            int c = b[pos] & 0xFF;
            switch (IN_STRING[c]) {
                case PLAIN -> {
                    int count = Math.min(plainRun(pos) - pos, leadingRoom());
                    hasher.addLatin1(b, pos, count);
                    pos += count;
                }
                case QUOTE -> {
                    pos++;
                    return;
                }
                case BACKSLASH -> hasher.add(escape());
                case CONTROL -> throw control(c);
                default -> {
                    int codePoint = utf8();
                    if (codePoint < 0x10000) {
                        hasher.add((char) codePoint);
                    } else {
                        hasher.add(Character.highSurrogate(codePoint));
                        if (leadingRoom() > 0) {
                            hasher.add(Character.lowSurrogate(codePoint));
                        }
                    }
                }
            }
        }
        skipRest();
    }

    private void appendLatin1(StringBuilder into, int from, int to) {
        for (int i = from; i < to; i++) {
            into.append((char) b[i]);
        }
    }

    /** Decodes the rest of the string at {@link #pos} (inside it) into {@code into}; rare: escapes or non-ASCII. */
    private void decode(StringBuilder into) throws ForwardRequest.Rejected {
        while (true) {
            if (pos >= end) {
                throw endOfBody("'\"' to end the string");
            }
            int c = b[pos] & 0xFF;
            switch (IN_STRING[c]) {
                case PLAIN -> {
                    into.append((char) c);
                    pos++;
                }
                case QUOTE -> {
                    pos++;
                    return;
                }
                case BACKSLASH -> into.append(escape());
                case CONTROL -> throw control(c);
                default -> into.appendCodePoint(utf8());
            }
        }
    }

    /** Steps over the string at {@link #pos} (on its opening quote), checking it. */
    private void skipString() throws ForwardRequest.Rejected {
        pos++;
        skipRest();
    }

    /**
     * Steps over the rest of a string, checking escapes, control characters and UTF-8 just as where it is decoded:
     * RFC 8259 wants the whole text in UTF-8, so a skipped string with a broken sequence is refused too rather
     * than left to the backend (Jackson also refuses most of them, but not all: see the differential test).
     */
    private void skipRest() throws ForwardRequest.Rejected {
        while (true) {
            pos = plainRun(pos);
            if (pos >= end) {
                throw endOfBody("'\"' to end the string");
            }
            int c = b[pos] & 0xFF;
            switch (IN_STRING[c]) {
                case QUOTE -> {
                    pos++;
                    return;
                }
                case BACKSLASH -> escape();
                case CONTROL -> throw control(c);
                default -> utf8();
            }
        }
    }

    /** The escape at {@link #pos} (on its backslash) as one UTF-16 char; a \\u escape may be half a pair. */
    private char escape() throws ForwardRequest.Rejected {
        int at = pos;
        if (pos + 1 >= end) {
            throw endOfBody("an escape after '\\'");
        }
        int e = b[pos + 1] & 0xFF;
        pos += 2;
        switch (e) {
            case '"':
                return '"';
            case '\\':
                return '\\';
            case '/':
                return '/';
            case 'b':
                return '\b';
            case 'f':
                return '\f';
            case 'n':
                return '\n';
            case 'r':
                return '\r';
            case 't':
                return '\t';
            case 'u':
                int value = 0;
                for (int i = 0; i < 4; i++) {
                    if (pos >= end) {
                        throw endOfBody("4 hex digits after '\\u'");
                    }
                    int h = b[pos] & 0xFF;
                    int digit = h >= '0' && h <= '9' ? h - '0'
                            : h >= 'a' && h <= 'f' ? h - 'a' + 10
                            : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
                    if (digit < 0) {
                        throw invalid("the escape '\\u' at byte " + at(at) + " is not followed by 4 hex digits ("
                                + describe(h) + " at byte " + at(pos) + ")");
                    }
                    value = value << 4 | digit;
                    pos++;
                }
                return (char) value;
            default:
                throw invalid("invalid escape '\\" + (e >= 0x20 && e < 0x7F ? String.valueOf((char) e)
                        : String.format("x%02x", e)) + "' at byte " + at(at)
                        + " (allowed: \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)");
        }
    }

    /** The UTF-8 sequence at {@link #pos} (a byte of 0x80 or more) as a code point; refuses what RFC 3629 does. */
    private int utf8() throws ForwardRequest.Rejected {
        int at = pos;
        int lead = b[pos] & 0xFF;
        int count;
        int min;
        int max = 0xBF;
        int codePoint;
        if (lead >= 0xC2 && lead <= 0xDF) {
            count = 1;
            min = 0x80;
            codePoint = lead & 0x1F;
        } else if (lead >= 0xE0 && lead <= 0xEF) {
            count = 2;
            min = lead == 0xE0 ? 0xA0 : 0x80; // no overlong forms
            max = lead == 0xED ? 0x9F : 0xBF; // no UTF-16 surrogates
            codePoint = lead & 0x0F;
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            count = 3;
            min = lead == 0xF0 ? 0x90 : 0x80;
            max = lead == 0xF4 ? 0x8F : 0xBF; // nothing above U+10FFFF
            codePoint = lead & 0x07;
        } else {
            throw invalidUtf8(at, String.format("0x%02x cannot start a character", lead));
        }
        for (int i = 1; i <= count; i++) {
            if (at + i >= end) {
                throw endOfBody("the rest of a UTF-8 character");
            }
            int next = b[at + i] & 0xFF;
            if (next < min || next > max) {
                throw invalidUtf8(at, String.format("0x%02x cannot be byte %d of a character that starts with 0x%02x",
                        next, i + 1, lead));
            }
            min = 0x80;
            max = 0xBF;
            codePoint = codePoint << 6 | (next & 0x3F);
        }
        pos = at + count + 1;
        return codePoint;
    }

    private void literal(String word) throws ForwardRequest.Rejected {
        int start = pos;
        for (int i = 0; i < word.length(); i++) {
            if (pos >= end) {
                throw endOfBody("'" + word + "'");
            }
            if (b[pos] != word.charAt(i)) {
                throw invalid("unexpected " + describe(b[pos] & 0xFF) + " at byte " + at(pos) + " (expected '"
                        + word + "' from byte " + at(start) + ")");
            }
            pos++;
        }
    }

    /** A number per RFC 8259's grammar, at most {@link #MAX_NUMBER_DIGITS} digits as Jackson counts them. */
    private void number() throws ForwardRequest.Rejected {
        int start = pos;
        if (b[pos] == '-') {
            pos++;
        }
        int intStart = pos;
        if (pos >= end) {
            throw endOfBody("a digit");
        }
        int c = b[pos] & 0xFF;
        if (c == '0') {
            pos++;
            if (pos < end && b[pos] >= '0' && b[pos] <= '9') {
                throw invalid("a number with a leading zero at byte " + at(start));
            }
        } else if (c >= '1' && c <= '9') {
            pos = digits(pos);
        } else {
            throw unexpected(c, "a digit after '-'");
        }
        int length = pos - intStart;
        boolean fraction = false;
        if (pos < end && b[pos] == '.') {
            int from = ++pos;
            pos = digits(pos);
            if (pos == from) {
                throw pos >= end ? endOfBody("a digit after '.'") : unexpected(b[pos] & 0xFF, "a digit after '.'");
            }
            length += pos - from;
            fraction = true;
        }
        if (pos < end && (b[pos] == 'e' || b[pos] == 'E')) {
            pos++;
            if (pos < end && (b[pos] == '+' || b[pos] == '-')) {
                pos++;
            }
            int from = pos;
            pos = digits(pos);
            if (pos == from) {
                throw pos >= end ? endOfBody("a digit in the exponent")
                        : unexpected(b[pos] & 0xFF, "a digit in the exponent");
            }
            length += pos - from;
            fraction = true;
        }
        if (length > MAX_NUMBER_DIGITS) {
            throw invalid("a number of " + length + " digits at byte " + at(start) + " (at most " + MAX_NUMBER_DIGITS
                    + (fraction ? " in all" : "") + " are allowed)");
        }
    }

    private int digits(int from) {
        int i = from;
        while (i < end && b[i] >= '0' && b[i] <= '9') {
            i++;
        }
        return i;
    }

    private void whitespace() {
        while (pos < end) {
            byte c = b[pos];
            if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
                return;
            }
            pos++;
        }
    }

    private int at(int index) {
        return index - offset;
    }

    private ForwardRequest.Rejected unexpected(int c, String expected) {
        return unexpected(c, pos, expected);
    }

    private ForwardRequest.Rejected unexpected(int c, int index, String expected) {
        return invalid("unexpected " + describe(c) + " at byte " + at(index) + " (expected " + expected + ")");
    }

    private ForwardRequest.Rejected endOfBody(String expected) {
        return invalid("the body ends at byte " + at(end) + " inside " + (depth == 0 ? "the JSON object"
                : depth == 1 ? "the top-level object" : "a value nested " + depth + " deep")
                + " (expected " + expected + ")");
    }

    private ForwardRequest.Rejected control(int c) {
        return invalid("control character " + String.format("0x%02x", c) + " at byte " + at(pos)
                + " inside a string (escape it, e.g. as \\n or \\u00" + String.format("%02x", c) + ")");
    }

    private ForwardRequest.Rejected invalidUtf8(int index, String why) {
        return invalid("invalid UTF-8 at byte " + at(index) + " inside a string: " + why
                + " (the body must be UTF-8, RFC 8259 §8.1)");
    }

    private static ForwardRequest.Rejected invalid(String what) {
        return ForwardRequest.invalidBody("We could not parse the JSON body of your request: " + what);
    }

    private static String describe(int c) {
        return c > 0x20 && c < 0x7F ? "character '" + (char) c + "'" : String.format("byte 0x%02x", c);
    }

    private static byte[] ascii(String word) {
        return word.getBytes(StandardCharsets.US_ASCII);
    }
}
