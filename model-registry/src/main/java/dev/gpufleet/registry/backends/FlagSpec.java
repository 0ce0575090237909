package dev.gpufleet.registry.backends;

import java.util.List;

/**
 * One row of a backend's table of known command-line flags: what kind of value it takes and what values are
 * allowed. The first name is the canonical one (the long form); the others are aliases such as {@code -ngl}.
 *
 * @param defaultValue  the backend's default, as text; null when it has none
 * @param defaultFrom   canonical name of the flag whose effective value is this flag's default (MindIE's
 *                      {@code --max-input-token-len} defaults to {@code --max-seq-len})
 * @param min           lower bound, or null
 * @param minExclusive  whether {@code min} itself is refused, as in the seed's {@code (0, *)}
 * @param max           upper bound (inclusive), or null
 * @param maxOf         canonical name of the flag whose effective value is an inclusive upper bound, or null
 * @param allowed       for {@link Kind#CHOICE}: the allowed values
 * @param powerOfTwo    the value must be a power of two, unless it is {@code exceptValue}
 * @param exceptValue   a special value exempt from the bounds and the power-of-two rule (MindIE's {@code -1})
 * @param negatable     a boolean that {@code --no-<flag>} turns off
 * @param excludes      canonical names of flags that cannot be enabled together with this one
 */
public record FlagSpec(List<String> names, Kind kind, String defaultValue, String defaultFrom, Double min,
                       boolean minExclusive, Double max, String maxOf, List<String> allowed, boolean powerOfTwo,
                       Long exceptValue, boolean negatable, List<String> excludes) {

    public enum Kind {
        /** Takes no value; present means on. */
        BOOLEAN,
        INTEGER,
        NUMBER,
        /** One of {@code allowed}, compared exactly. */
        CHOICE,
        /** A JSON object. */
        JSON,
        /** Any non-empty text. */
        TEXT
    }

    public FlagSpec {
        names = List.copyOf(names);
        allowed = List.copyOf(allowed);
        excludes = List.copyOf(excludes);
    }

    public String name() {
        return names.get(0);
    }

    public static FlagSpec bool(String... names) {
        return of(Kind.BOOLEAN, names);
    }

    public static FlagSpec integer(String... names) {
        return of(Kind.INTEGER, names);
    }

    public static FlagSpec number(String... names) {
        return of(Kind.NUMBER, names);
    }

    public static FlagSpec text(String... names) {
        return of(Kind.TEXT, names);
    }

    public static FlagSpec json(String... names) {
        return of(Kind.JSON, names);
    }

    public static FlagSpec choice(List<String> allowed, String... names) {
        return of(Kind.CHOICE, names).withAllowed(allowed);
    }

    private static FlagSpec of(Kind kind, String... names) {
        return new FlagSpec(List.of(names), kind, null, null, null, false, null, null, List.of(), false, null, false,
                List.of());
    }

    public FlagSpec withDefault(String value) {
        return new FlagSpec(names, kind, value, defaultFrom, min, minExclusive, max, maxOf, allowed, powerOfTwo,
                exceptValue, negatable, excludes);
    }

    public FlagSpec withDefaultFrom(String flag) {
        return new FlagSpec(names, kind, defaultValue, flag, min, minExclusive, max, maxOf, allowed, powerOfTwo,
                exceptValue, negatable, excludes);
    }

    /** Inclusive range {@code [min, max]}. */
    public FlagSpec range(double min, double max) {
        return new FlagSpec(names, kind, defaultValue, defaultFrom, min, false, max, maxOf, allowed, powerOfTwo,
                exceptValue, negatable, excludes);
    }

    public FlagSpec atLeast(double min) {
        return new FlagSpec(names, kind, defaultValue, defaultFrom, min, false, max, maxOf, allowed, powerOfTwo,
                exceptValue, negatable, excludes);
    }

    public FlagSpec above(double min) {
        return new FlagSpec(names, kind, defaultValue, defaultFrom, min, true, max, maxOf, allowed, powerOfTwo,
                exceptValue, negatable, excludes);
    }

    public FlagSpec atMost(double max) {
        return new FlagSpec(names, kind, defaultValue, defaultFrom, min, minExclusive, max, maxOf, allowed,
                powerOfTwo, exceptValue, negatable, excludes);
    }

    public FlagSpec atMostValueOf(String flag) {
        return new FlagSpec(names, kind, defaultValue, defaultFrom, min, minExclusive, max, flag, allowed,
                powerOfTwo, exceptValue, negatable, excludes);
    }

    public FlagSpec withAllowed(List<String> values) {
        return new FlagSpec(names, kind, defaultValue, defaultFrom, min, minExclusive, max, maxOf, values,
                powerOfTwo, exceptValue, negatable, excludes);
    }

    public FlagSpec mustBePowerOfTwo() {
        return new FlagSpec(names, kind, defaultValue, defaultFrom, min, minExclusive, max, maxOf, allowed, true,
                exceptValue, negatable, excludes);
    }

    public FlagSpec except(long value) {
        return new FlagSpec(names, kind, defaultValue, defaultFrom, min, minExclusive, max, maxOf, allowed,
                powerOfTwo, value, negatable, excludes);
    }

    public FlagSpec negatableWithNo() {
        return new FlagSpec(names, kind, defaultValue, defaultFrom, min, minExclusive, max, maxOf, allowed,
                powerOfTwo, exceptValue, true, excludes);
    }

    public FlagSpec excluding(String... flags) {
        return new FlagSpec(names, kind, defaultValue, defaultFrom, min, minExclusive, max, maxOf, allowed,
                powerOfTwo, exceptValue, negatable, List.of(flags));
    }

    /** What the flag allows, in words, for error messages, e.g. {@code an integer in [1, 1000]}. */
    public String describeAllowed() {
        String what = switch (kind) {
            case BOOLEAN -> "no value" + (negatable ? " (turn it off with --no-" + name().substring(2) + ")" : "");
            case INTEGER -> "an integer";
            case NUMBER -> "a number";
            case CHOICE -> "one of " + String.join(", ", allowed);
            case JSON -> "a JSON object, e.g. {\"temperature\": 0.5}";
            case TEXT -> "a non-empty value";
        };
        if (min != null || max != null || maxOf != null) {
            what += " in " + (min == null ? "(-inf" : (minExclusive ? "(" : "[") + format(min)) + ", "
                    + (maxOf != null ? maxOf : max == null ? "inf" : format(max)) + (max == null && maxOf == null ? ")" : "]");
        }
        if (powerOfTwo) {
            what += ", a power of two";
        }
        if (exceptValue != null) {
            what += ", or " + exceptValue;
        }
        return what;
    }

    static String format(double value) {
        return value == Math.rint(value) && Math.abs(value) < 1e15 ? Long.toString((long) value) : Double.toString(value);
    }
}
