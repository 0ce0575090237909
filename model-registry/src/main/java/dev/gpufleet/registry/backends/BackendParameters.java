package dev.gpufleet.registry.backends;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.gpufleet.events.spec.FlagRules;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Checks a model's {@code backend_parameters} against its backend's table of known flags. Pure: a list of
 * strings in, every problem out, each naming the entry's index, the flag, the value and what is allowed.
 *
 * <p>An entry is {@code --flag=value}, {@code --flag value} or {@code --flag} with its value in the next entry
 * (what the operator types in GPUStack's UI; the agent passes them on as separate arguments).
 */
public final class BackendParameters {
    /** The agent chooses these for every backend: it must know where the backend listens. */
    public static final List<String> AGENT_OWNED = List.of("--port", "--host");
    private static final int MAX_SUGGESTIONS = 3;
    private static final int MAX_SHOWN_VALUE = 80;
    /** Longer than any real flag: not worth an edit-distance search, which is quadratic in the length. */
    private static final int MAX_FLAG_LENGTH = 64;
    private static final ObjectMapper JSON = new ObjectMapper();

    private BackendParameters() {
    }

    /** One thing wrong (or doubtful) with {@code backend_parameters[index]}. */
    public record Problem(int index, String message) {
    }

    /** Errors refuse the model; warnings are for the operator to read but the model is accepted. */
    public record Check(List<Problem> errors, List<Problem> warnings) {
    }

    /** A flag as written, with its table row (null when unknown) and its value (null for a boolean). */
    record Argument(int index, String flag, FlagSpec spec, String value, boolean negated) {
    }

    record Parsed(List<Argument> arguments, List<Problem> errors, List<Problem> warnings) {
    }

    /** The known flags of a backend, or null for a name that is not a backend. */
    public static List<FlagSpec> knownFlags(String backend) {
        if (backend == null) {
            return null;
        }
        return switch (backend) {
            case BackendSelector.LLAMA_BOX -> BackendFlags.LLAMA_BOX;
            case BackendSelector.VLLM -> BackendFlags.VLLM;
            case BackendSelector.VOX_BOX -> BackendFlags.VOX_BOX;
            case BackendSelector.MINDIE -> MindieParameters.FLAGS;
            default -> null;
        };
    }

    /**
     * Unknown flags are errors for vox-box and MindIE, whose flag sets are small and fixed for the versions we
     * run (GPUStack's MindIE wrapper would silently ignore a misspelt flag). For llama-box and vLLM they are
     * warnings: both grow new flags with every release and an operator may pin a newer backend_version than our
     * table knows, so refusing them would block legitimate use; the warning still names the closest known flags.
     */
    public static boolean unknownFlagsAllowed(String backend) {
        return BackendSelector.LLAMA_BOX.equals(backend) || BackendSelector.VLLM.equals(backend);
    }

    public static Check check(String backend, List<String> parameters) {
        return check(backend, parameters, unknownFlagsAllowed(backend));
    }

    /**
     * @param unknownAllowed whether a flag the table does not know is a warning (the model's
     *                       {@code allow_unknown_parameters}) rather than an error
     */
    public static Check check(String backend, List<String> parameters, boolean unknownAllowed) {
        List<FlagSpec> table = knownFlags(backend);
        if (table == null || parameters == null) {
            return new Check(List.of(), List.of());
        }
        Parsed parsed = parse(table, parameters, unknownAllowed);
        List<Problem> errors = new ArrayList<>(parsed.errors());
        crossCheck(table, parsed.arguments(), errors);
        errors.sort(Comparator.comparingInt(Problem::index));
        return new Check(List.copyOf(errors), parsed.warnings());
    }

    static Parsed parse(List<FlagSpec> table, List<String> parameters) {
        return parse(table, parameters, true);
    }

    private static Parsed parse(List<FlagSpec> table, List<String> parameters, boolean unknownAllowed) {
        Map<String, FlagSpec> byName = new HashMap<>();
        for (FlagSpec spec : table) {
            spec.names().forEach(name -> byName.put(name, spec));
        }
        List<Argument> arguments = new ArrayList<>();
        List<Problem> errors = new ArrayList<>();
        List<Problem> warnings = new ArrayList<>();
        int i = 0;
        while (i < parameters.size()) {
            int index = i++;
            String raw = parameters.get(index);
            if (raw == null || raw.isBlank()) {
                errors.add(new Problem(index, "must be a command-line argument such as '--ctx-size=8192', was "
                        + show(raw)));
                continue;
            }
            String entry = raw.strip();
            if (!entry.startsWith("-") || entry.equals("-") || entry.equals("--") || isNumber(entry)) {
                errors.add(new Problem(index, "expected a flag starting with '-' (such as '--ctx-size=8192'), was "
                        + show(raw) + "; a value belongs right after its flag"));
                continue;
            }
            String flag = entry;
            String value = null;
            int split = firstSeparator(entry);
            if (split >= 0) {
                flag = entry.substring(0, split);
                value = entry.substring(split + 1).strip();
            }
            flag = FlagRules.normalize(flag);
            if (AGENT_OWNED.contains(flag)) {
                errors.add(new Problem(index, flag + " is not allowed: the agent chooses the address and port "
                        + "the backend listens on"));
                if (value == null && takesNextAsValue(parameters, i)) {
                    i++;
                }
                continue;
            }
            FlagSpec spec = byName.get(flag);
            boolean negated = false;
            if (spec == null && flag.startsWith("--no-")) {
                FlagSpec positive = byName.get("--" + flag.substring("--no-".length()));
                if (positive != null && positive.kind() == FlagSpec.Kind.BOOLEAN && positive.negatable()) {
                    spec = positive;
                    negated = true;
                } else if (positive != null) {
                    errors.add(new Problem(index, flag + ": " + positive.name() + " cannot be negated with --no-; "
                            + "it takes " + positive.describeAllowed()));
                    if (value == null && takesNextAsValue(parameters, i)) {
                        i++;
                    }
                    continue;
                }
            }
            if (spec == null) {
                String message = flag.length() > MAX_FLAG_LENGTH ? "unknown flag " + show(flag)
                        : "unknown flag " + flag + suggestions(flag, byName);
                if (unknownAllowed) {
                    warnings.add(new Problem(index, message + "; passed on as given, in case the backend version "
                            + "knows it"));
                } else {
                    errors.add(new Problem(index, message));
                }
                if (value == null && takesNextAsValue(parameters, i)) {
                    value = parameters.get(i++).strip();
                }
                arguments.add(new Argument(index, flag, null, value, false));
                continue;
            }
            if (spec.kind() == FlagSpec.Kind.BOOLEAN) {
                if (value != null) {
                    errors.add(new Problem(index, flag + " takes no value, was " + show(value)
                            + (spec.negatable() ? "; turn it off with --no-" + spec.name().substring(2) : "")));
                    continue;
                }
                arguments.add(new Argument(index, flag, spec, null, negated));
                continue;
            }
            if (value == null) {
                if (takesNextAsValue(parameters, i)) {
                    value = parameters.get(i++).strip();
                } else {
                    errors.add(new Problem(index, flag + " needs a value: " + spec.describeAllowed()));
                    continue;
                }
            }
            String problem = valueProblem(spec, value);
            if (problem != null) {
                errors.add(new Problem(index, flag + " must be " + spec.describeAllowed() + ", was " + show(value)
                        + problem));
                continue;
            }
            arguments.add(new Argument(index, flag, spec, value, false));
        }
        return new Parsed(List.copyOf(arguments), List.copyOf(errors), List.copyOf(warnings));
    }

    /** The next entry is a value, not a flag (a negative number counts as a value). */
    private static boolean takesNextAsValue(List<String> parameters, int next) {
        if (next >= parameters.size() || parameters.get(next) == null || parameters.get(next).isBlank()) {
            return false;
        }
        String entry = parameters.get(next).strip();
        return !entry.startsWith("-") || isNumber(entry);
    }

    /** Where {@code --flag=value} or {@code --flag value} splits, or -1. */
    private static int firstSeparator(String entry) {
        for (int i = 0; i < entry.length(); i++) {
            char c = entry.charAt(i);
            if (c == '=' || Character.isWhitespace(c)) {
                return i;
            }
        }
        return -1;
    }

    /** Null when the value is fine, else "" or a short reason to append. */
    private static String valueProblem(FlagSpec spec, String value) {
        if (value.isEmpty()) {
            return "";
        }
        switch (spec.kind()) {
            case CHOICE:
                return spec.allowed().contains(value) ? null : "";
            case JSON:
                try {
                    JsonNode node = JSON.readTree(value);
                    return node != null && node.isObject() ? null : "";
                } catch (JsonProcessingException e) {
                    return " (not valid JSON)";
                }
            case TEXT:
                return null;
            case INTEGER:
            case NUMBER:
                double number;
                try {
                    number = spec.kind() == FlagSpec.Kind.INTEGER ? Long.parseLong(value) : Double.parseDouble(value);
                } catch (NumberFormatException e) {
                    return "";
                }
                if (Double.isNaN(number) || Double.isInfinite(number)) {
                    return "";
                }
                if (spec.exceptValue() != null && number == spec.exceptValue()) {
                    return null;
                }
                if (spec.min() != null && (number < spec.min() || (spec.minExclusive() && number == spec.min()))) {
                    return "";
                }
                if (spec.max() != null && number > spec.max()) {
                    return "";
                }
                if (spec.powerOfTwo() && !isPowerOfTwo(number)) {
                    return " (not a power of two)";
                }
                return null;
            default:
                return null;
        }
    }

    /** Bounds that name another flag, and flags that cannot be on together. */
    private static void crossCheck(List<FlagSpec> table, List<Argument> arguments, List<Problem> errors) {
        Map<String, Argument> last = new LinkedHashMap<>();
        for (Argument argument : arguments) {
            if (argument.spec() != null) {
                last.put(argument.spec().name(), argument);
            }
        }
        Map<String, FlagSpec> byName = new HashMap<>();
        table.forEach(spec -> byName.put(spec.name(), spec));
        for (Argument argument : last.values()) {
            FlagSpec spec = argument.spec();
            if (spec.maxOf() != null) {
                Double bound = effectiveNumber(spec.maxOf(), last, byName);
                double value = Double.parseDouble(argument.value());
                if (bound != null && value > bound) {
                    errors.add(new Problem(argument.index(), argument.flag() + " must be at most " + spec.maxOf()
                            + " (" + FlagSpec.format(bound) + "), was " + show(argument.value())));
                }
            }
            if (!enabled(argument)) {
                continue;
            }
            for (String excluded : spec.excludes()) {
                Argument other = last.get(excluded);
                if (other != null && enabled(other)) {
                    Argument later = other.index() > argument.index() ? other : argument;
                    Argument earlier = later == other ? argument : other;
                    errors.add(new Problem(later.index(), later.flag() + " cannot be used together with "
                            + earlier.flag() + " (backend_parameters[" + earlier.index() + "])"));
                }
            }
        }
    }

    private static boolean enabled(Argument argument) {
        return argument.spec().kind() != FlagSpec.Kind.BOOLEAN || !argument.negated();
    }

    private static Double effectiveNumber(String name, Map<String, Argument> given, Map<String, FlagSpec> byName) {
        FlagSpec spec = byName.get(name);
        if (spec == null) {
            return null;
        }
        Argument argument = given.get(name);
        if (argument != null) {
            return Double.parseDouble(argument.value());
        }
        if (spec.defaultFrom() != null) {
            return effectiveNumber(spec.defaultFrom(), given, byName);
        }
        return spec.defaultValue() == null ? null : Double.parseDouble(spec.defaultValue());
    }

    private static boolean isPowerOfTwo(double number) {
        if (number < 1 || number != Math.rint(number) || number > Long.MAX_VALUE) {
            return false;
        }
        long value = (long) number;
        return (value & (value - 1)) == 0;
    }

    private static boolean isNumber(String text) {
        try {
            Double.parseDouble(text);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** "; did you mean --a, --b?" with the known flags nearest by edit distance, or "". */
    static String suggestions(String flag, Map<String, FlagSpec> known) {
        String wanted = flag.toLowerCase(Locale.ROOT);
        int limit = Math.max(2, wanted.replaceFirst("^-+", "").length() / 3);
        List<String> nearest = known.keySet().stream()
                .map(name -> Map.entry(name, editDistance(wanted, name)))
                .filter(e -> e.getValue() <= limit)
                .sorted(Map.Entry.<String, Integer>comparingByValue().thenComparing(Map.Entry.comparingByKey()))
                .limit(MAX_SUGGESTIONS)
                .map(Map.Entry::getKey)
                .toList();
        return nearest.isEmpty() ? "" : "; did you mean " + String.join(", ", nearest) + "?";
    }

    static int editDistance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }

    static String show(String value) {
        if (value == null) {
            return "null";
        }
        String oneLine = value.replaceAll("[\\r\\n\\t]", " ");
        return "'" + (oneLine.length() > MAX_SHOWN_VALUE ? oneLine.substring(0, MAX_SHOWN_VALUE) + "..." : oneLine)
                + "'";
    }
}
