package dev.gpufleet.kit.text;

/**
 * Text that came from a backend (its log lines, its error messages) made safe to carry in events, store in a
 * PostgreSQL {@code text} column and show: PostgreSQL refuses U+0000 in text, and terminal escapes and other control
 * characters garble what an operator reads. Applied where such text enters (the agent, reading log tails into
 * observations) and again where it is stored (the scheduler).
 *
 * <p>Kept: every printable character, tab and line feed. A CR LF pair or a lone CR becomes a line feed. Removed:
 * ANSI escape sequences (CSI such as colours, OSC such as window titles, and two-character escapes), every other C0
 * control, DEL and the C1 controls. An unpaired surrogate becomes U+FFFD.
 */
public final class PrintableText {
    private static final char ESC = '\u001b';
    private static final char BEL = '\u0007';

    private PrintableText() {
    }

    /** @return the text cleaned as above; null for null, and the same instance when nothing needed cleaning */
    public static String clean(String text) {
        if (text == null || isClean(text)) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length());
        int n = text.length();
        int i = 0;
        while (i < n) {
            char c = text.charAt(i);
            if (c == ESC) {
                i = afterEscape(text, i);
            } else if (c == '\r') {
                out.append('\n');
                i += i + 1 < n && text.charAt(i + 1) == '\n' ? 2 : 1;
            } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(text.charAt(i + 1))) {
                out.append(c).append(text.charAt(i + 1));
                i += 2;
            } else if (Character.isSurrogate(c)) {
                out.append('\uFFFD');
                i++;
            } else {
                if (!isControl(c)) {
                    out.append(c);
                }
                i++;
            }
        }
        return out.toString();
    }

    private static boolean isClean(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\r' || c == ESC || isControl(c)) {
                return false;
            }
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return false;
            }
        }
        return true;
    }

    /** Controls that go: C0 but tab and line feed, DEL, C1. */
    private static boolean isControl(char c) {
        return (c < 0x20 && c != '\t' && c != '\n') || (c >= 0x7f && c <= 0x9f);
    }

    /** The index just past the escape sequence that starts at {@code at}. */
    private static int afterEscape(String text, int at) {
        int n = text.length();
        if (at + 1 >= n) {
            return n;
        }
        char kind = text.charAt(at + 1);
        if (kind == '[') {
            // CSI: parameter and intermediate bytes, then one final byte in @..~
            int i = at + 2;
            while (i < n && text.charAt(i) >= 0x30 && text.charAt(i) <= 0x3f) {
                i++;
            }
            while (i < n && text.charAt(i) >= 0x20 && text.charAt(i) <= 0x2f) {
                i++;
            }
            return i < n && text.charAt(i) >= 0x40 && text.charAt(i) <= 0x7e ? i + 1 : i;
        }
        if (kind == ']') {
            // OSC: up to BEL or ESC \
            int i = at + 2;
            while (i < n) {
                char c = text.charAt(i);
                if (c == BEL) {
                    return i + 1;
                }
                if (c == ESC && i + 1 < n && text.charAt(i + 1) == '\\') {
                    return i + 2;
                }
                if (c == '\n') {
                    return i; // an unterminated title does not swallow the lines after it
                }
                i++;
            }
            return n;
        }
        // a two-character escape (ESC followed by one printable character); a control after ESC is handled alone
        return kind >= 0x20 && kind <= 0x7e ? at + 2 : at + 1;
    }
}
