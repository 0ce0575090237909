package dev.gpufleet.worker.backend;

import dev.gpufleet.events.spec.FlagRules;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The user's backend parameters as flag/value pairs. {@code --flag=value} and {@code "--flag value"} become one
 * parameter; a word that is not a flag following a flag is its value; negative numbers are values, not flags.
 */
public final class UserParameters {
    private static final Pattern NEGATIVE_NUMBER = Pattern.compile("-\\.?\\d.*");

    private UserParameters() {
    }

    /** A user parameter: a flag with its value (null for a switch), or a lone value (flag null). */
    public record Parameter(String flag, String value) {
        /** Whether this is one of {@code names}, however spelt ({@code --api_key} is {@code --api-key}). */
        public boolean is(Set<String> names) {
            return flag != null && (names.contains(flag) || names.contains(FlagRules.normalize(flag)));
        }

        public List<String> words() {
            List<String> words = new ArrayList<>(2);
            if (flag != null) {
                words.add(flag);
            }
            if (value != null) {
                words.add(value);
            }
            return words;
        }
    }

    /** A flag only the agent may set, and why, for the warning when the user's is dropped. */
    public record AgentOwned(Set<String> flags, String why) {
    }

    /** What is left of the user's parameters, and a warning for each one dropped. */
    public record Kept(List<Parameter> parameters, List<String> warnings) {
        public boolean has(Set<String> names) {
            return parameters.stream().anyMatch(p -> p.is(names));
        }

        public List<String> words() {
            List<String> words = new ArrayList<>();
            parameters.forEach(p -> words.addAll(p.words()));
            return words;
        }
    }

    public static Kept withoutAgentOwned(List<String> raw, List<AgentOwned> owned) {
        List<String> warnings = new ArrayList<>();
        List<Parameter> kept = new ArrayList<>();
        for (Parameter parameter : parse(raw)) {
            AgentOwned match = owned.stream().filter(o -> parameter.is(o.flags())).findFirst().orElse(null);
            if (match == null) {
                kept.add(parameter);
            } else {
                warnings.add("backend parameter " + parameter.flag() + " was ignored: " + match.why());
            }
        }
        return new Kept(kept, warnings);
    }

    public static List<Parameter> parse(List<String> raw) {
        List<Parameter> parameters = new ArrayList<>();
        if (raw == null) {
            return parameters;
        }
        for (int i = 0; i < raw.size(); i++) {
            String word = raw.get(i) == null ? "" : raw.get(i).trim();
            if (word.isEmpty()) {
                continue;
            }
            if (!isFlag(word)) {
                parameters.add(new Parameter(null, word));
                continue;
            }
            int eq = word.indexOf('=');
            int space = indexOfWhitespace(word);
            if (eq > 0 && (space < 0 || eq < space)) {
                parameters.add(new Parameter(word.substring(0, eq), word.substring(eq + 1)));
            } else if (space > 0) {
                parameters.add(new Parameter(word.substring(0, space), word.substring(space + 1).trim()));
            } else if (i + 1 < raw.size() && raw.get(i + 1) != null && !raw.get(i + 1).isBlank()
                    && !isFlag(raw.get(i + 1).trim())) {
                parameters.add(new Parameter(word, raw.get(i + 1).trim()));
                i++;
            } else {
                parameters.add(new Parameter(word, null));
            }
        }
        return parameters;
    }

    static boolean isFlag(String word) {
        return word.startsWith("-") && word.length() > 1 && !NEGATIVE_NUMBER.matcher(word).matches();
    }

    private static int indexOfWhitespace(String word) {
        for (int i = 0; i < word.length(); i++) {
            if (Character.isWhitespace(word.charAt(i))) {
                return i;
            }
        }
        return -1;
    }
}
