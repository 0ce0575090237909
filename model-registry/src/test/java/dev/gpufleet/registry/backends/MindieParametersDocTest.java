package dev.gpufleet.registry.backends;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static dev.gpufleet.registry.backends.FlagSpec.bool;
import static dev.gpufleet.registry.backends.FlagSpec.integer;
import static dev.gpufleet.registry.backends.FlagSpec.number;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * docs/backends.md's MindIE parameter table says what {@link MindieParameters#FLAGS} does: the same parameters in
 * the same order, with the same aliases, defaults and ranges. Change one without the other and this fails.
 */
class MindieParametersDocTest {
    static final Path DOC = Path.of("..", "docs", "backends.md");
    static final String BEGIN = "<!-- mindie-parameters:begin -->";
    static final String END = "<!-- mindie-parameters:end -->";

    @Test
    void theDocumentedTableIsTheCodesTable() throws Exception {
        Map<String, List<String>> documented = rows(Files.readString(DOC));
        Map<String, List<String>> expected = new LinkedHashMap<>();
        for (FlagSpec flag : MindieParameters.FLAGS) {
            expected.put(names(flag), List.of(defaultText(flag), rangeText(flag)));
        }
        assertEquals(expected, documented);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "above0          | (0, *)",
            "atLeast0        | [0, *)",
            "range1to1000    | [1, 1000]",
            "fraction        | (0, 1]",
            "upToOther       | [1, `--max-batch-size`]",
            "powerOfTwo      | (0, *), a power of two",
            "parallelism     | `-1` or a power of two",
            "negatable       | boolean, `--no-` form",
            "plainBool       | boolean"})
    void rangesAreWrittenAsTheDocWritesThem(String which, String text) {
        FlagSpec spec = switch (which) {
            case "above0" -> integer("--a").above(0);
            case "atLeast0" -> integer("--a").atLeast(0);
            case "range1to1000" -> integer("--a").range(1, 1000);
            case "fraction" -> number("--a").above(0).atMost(1);
            case "upToOther" -> integer("--a").atLeast(1).atMostValueOf("--max-batch-size");
            case "powerOfTwo" -> integer("--a").above(0).mustBePowerOfTwo();
            case "parallelism" -> integer("--a").above(0).mustBePowerOfTwo().except(-1);
            case "negatable" -> bool("--a").negatableWithNo();
            default -> bool("--a");
        };
        assertEquals(text, rangeText(spec));
    }

    /** names cell → [default cell, range cell], in table order. */
    static Map<String, List<String>> rows(String markdown) {
        int begin = markdown.indexOf(BEGIN);
        int end = markdown.indexOf(END);
        if (begin < 0 || end < begin) {
            throw new IllegalStateException(DOC + " lacks the markers " + BEGIN + " … " + END);
        }
        Map<String, List<String>> rows = new LinkedHashMap<>();
        List<String> lines = markdown.substring(begin + BEGIN.length(), end).lines()
                .filter(l -> l.startsWith("| `")).toList();
        for (String line : lines) {
            List<String> cells = new ArrayList<>();
            for (String cell : line.substring(1, line.length() - 1).split(" \\| ", -1)) {
                cells.add(cell.strip());
            }
            rows.put(cells.get(0), List.of(cells.get(1), cells.get(2)));
        }
        return rows;
    }

    static String names(FlagSpec flag) {
        return flag.names().stream().map(n -> "`" + n + "`").collect(Collectors.joining(", "));
    }

    static String defaultText(FlagSpec flag) {
        if (flag.defaultFrom() != null) {
            return "`" + flag.defaultFrom() + "`";
        }
        if (flag.defaultValue() != null) {
            return "`" + flag.defaultValue() + "`";
        }
        return flag.kind() == FlagSpec.Kind.BOOLEAN ? "off" : "—";
    }

    static String rangeText(FlagSpec flag) {
        return switch (flag.kind()) {
            case BOOLEAN -> "boolean" + (flag.negatable() ? ", `--no-` form" : "");
            case CHOICE -> flag.allowed().stream().map(v -> "`" + v + "`").collect(Collectors.joining(", "));
            case JSON -> "JSON object";
            case TEXT -> "text";
            case INTEGER, NUMBER -> {
                if (flag.powerOfTwo() && flag.exceptValue() != null) {
                    yield "`" + flag.exceptValue() + "` or a power of two";
                }
                String lower = flag.min() == null ? "(-∞" : (flag.minExclusive() ? "(" : "[") + FlagSpec.format(flag.min());
                String upper = flag.maxOf() != null ? "`" + flag.maxOf() + "`]"
                        : flag.max() != null ? FlagSpec.format(flag.max()) + "]" : "*)";
                yield lower + ", " + upper + (flag.powerOfTwo() ? ", a power of two" : "");
            }
        };
    }
}
