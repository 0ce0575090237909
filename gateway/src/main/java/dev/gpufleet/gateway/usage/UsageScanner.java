package dev.gpufleet.gateway.usage;

import dev.gpufleet.gateway.json.JsonBytes;

/**
 * Finds the top-level {@code usage} object of an OpenAI answer (and how many {@code choices} it has) while the
 * answer streams past: fed chunk by chunk, it keeps no copy of the body. Input that does not start as a JSON object
 * yields no usage.
 *
 * <p>A byte-level walk of the JSON structure rather than a JSON parser: it runs over every answer on the event loop,
 * and an answer is mostly the text of its choices, which a parser would decode into characters only for this
 * scanner to skip it. String text is stepped over eight bytes at a time up to a quote or an escape; only keys at the
 * top level and inside {@code usage}, and the integers of {@code usage}, are looked at. It does not validate the
 * document: a malformed answer can at worst yield a wrong count, never an exception.
 */
final class UsageScanner {
    /** Containers deeper than this are only counted; nothing of interest lies below depth 3. */
    private static final int TRACKED_DEPTH = 63;
    /** Longer keys are never one of ours. */
    private static final int MAX_KEY = 24;

    private enum Key { USAGE, CHOICES, PROMPT_TOKENS, COMPLETION_TOKENS, TOTAL_TOKENS, OTHER }

    private boolean started;
    private boolean broken;
    private int depth;
    /** Bit d set: the container at depth d is an object (keys expected), else an array. */
    private long objects;
    private boolean expectingKey;
    private boolean inString;
    private boolean escaped;
    private boolean stringIsKey;
    private final byte[] key = new byte[MAX_KEY];
    private int keyLength;
    /** The key whose value comes next, where keys matter (depth 1, or depth 2 inside usage); else null. */
    private Key pending;
    private boolean inUsage;
    private boolean inChoices;
    private boolean usageSeen;
    /** The usage field whose digits are being read; null when not in a number of interest. */
    private Key number;
    private long value;
    private long prompt;
    private long completion;
    private long total;
    private int choices;

    private UsageScanner() {
    }

    /** For a body that arrives in chunks: {@link #feed}, then {@link #end}. */
    static UsageScanner incremental() {
        return new UsageScanner();
    }

    /** For one whole JSON document, e.g. an SSE event's data. */
    static UsageScanner of(byte[] json, int offset, int length) {
        UsageScanner scanner = new UsageScanner();
        scanner.feed(json, offset, length);
        scanner.end();
        return scanner;
    }

    void feed(byte[] bytes) {
        feed(bytes, 0, bytes.length);
    }

    void feed(byte[] bytes, int offset, int length) {
        int end = offset + length;
        int i = offset;
        while (i < end && !broken) {
            if (inString && !escaped && !stringIsKey) {
                // most of an answer is the text of its choices: stepped over eight bytes at a time up to a quote or
                // an escape
                i = JsonBytes.quoteOrBackslash(bytes, i, end);
                if (i == end) {
                    return;
                }
            }
            step(bytes[i++]);
        }
    }

    void end() {
        endNumber();
    }

    private void step(byte b) {
        if (inString) {
            if (escaped) {
                escaped = false;
            } else if (b == '\\') {
                escaped = true;
                keyLength = MAX_KEY + 1; // an escaped key is never one of ours
            } else if (b == '"') {
                inString = false;
                if (stringIsKey) {
                    pending = interesting() ? keyOf() : null;
                }
            } else if (stringIsKey) {
                if (keyLength < MAX_KEY) {
                    key[keyLength++] = b;
                } else {
                    keyLength = MAX_KEY + 1;
                }
            }
            return;
        }
        if (number != null) {
            if (b >= '0' && b <= '9') {
                value = value * 10 + (b - '0');
                return;
            }
            endNumber();
        }
        switch (b) {
            case ' ', '\t', '\r', '\n', ':' -> {
            }
            case '"' -> {
                inString = true;
                stringIsKey = expectingKey;
                keyLength = 0;
                expectingKey = false;
                if (!stringIsKey) {
                    pending = null;
                }
                started = true;
            }
            case '{', '[' -> open(b == '{');
            case '}', ']' -> close();
            case ',' -> {
                expectingKey = depth > 0 && depth <= TRACKED_DEPTH && (objects & (1L << depth)) != 0;
                pending = null;
            }
            default -> {
                if (!started) {
                    broken = true; // not a JSON object: audio, an image, plain text
                    return;
                }
                if (pending != null && inUsage && depth == 2 && b >= '0' && b <= '9'
                        && (pending == Key.PROMPT_TOKENS || pending == Key.COMPLETION_TOKENS
                        || pending == Key.TOTAL_TOKENS)) {
                    number = pending;
                    value = b - '0';
                }
                pending = null;
            }
        }
    }

    private void open(boolean object) {
        if (!started) {
            started = true;
            if (!object) {
                broken = true;
                return;
            }
        }
        depth++;
        if (depth <= TRACKED_DEPTH) {
            objects = object ? objects | (1L << depth) : objects & ~(1L << depth);
        }
        if (depth == 2 && pending == Key.USAGE && object) {
            inUsage = true;
            usageSeen = true;
        } else if (depth == 2 && pending == Key.CHOICES && !object) {
            inChoices = true;
        } else if (depth == 3 && inChoices) {
            choices++;
        }
        expectingKey = object;
        pending = null;
    }

    private void close() {
        if (depth == 2) {
            inUsage = false;
            inChoices = false;
        }
        if (depth > 0) {
            depth--;
        }
        expectingKey = false;
        pending = null;
    }

    private void endNumber() {
        if (number == null) {
            return;
        }
        switch (number) {
            case PROMPT_TOKENS -> prompt = value;
            case COMPLETION_TOKENS -> completion = value;
            case TOTAL_TOKENS -> total = value;
            default -> {
            }
        }
        number = null;
    }

    private boolean interesting() {
        return keyLength <= MAX_KEY && (depth == 1 || (inUsage && depth == 2));
    }

    private Key keyOf() {
        if (depth == 1) {
            return is("usage") ? Key.USAGE : is("choices") ? Key.CHOICES : Key.OTHER;
        }
        return is("prompt_tokens") ? Key.PROMPT_TOKENS : is("completion_tokens") ? Key.COMPLETION_TOKENS
                : is("total_tokens") ? Key.TOTAL_TOKENS : Key.OTHER;
    }

    private boolean is(String name) {
        if (name.length() != keyLength) {
            return false;
        }
        for (int i = 0; i < keyLength; i++) {
            if (key[i] != name.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** The usage found, if any; embeddings report only prompt and total tokens. */
    TokenUsage usage() {
        if (!usageSeen) {
            return null;
        }
        return counted(prompt, completion, total);
    }

    /** The usage a usage object with these three counts (0 where absent) reports. */
    static TokenUsage counted(long prompt, long completion, long total) {
        long promptTokens = prompt > 0 || total == 0 ? prompt : Math.max(0, total - completion);
        return new TokenUsage(promptTokens, completion);
    }

    int choices() {
        return choices;
    }

    boolean broken() {
        return broken;
    }
}
