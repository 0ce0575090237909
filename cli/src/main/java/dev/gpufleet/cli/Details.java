package dev.gpufleet.cli;

import java.util.ArrayList;
import java.util.List;

/** One thing's fields, a {@code label: value} a line, the values aligned; absent values are left out. */
public final class Details {
    private final List<String[]> lines = new ArrayList<>();

    public Details add(String label, Object value) {
        if (value != null && !value.toString().isEmpty()) {
            lines.add(new String[]{label, value.toString()});
        }
        return this;
    }

    public String render() {
        int width = 0;
        for (String[] line : lines) {
            width = Math.max(width, line[0].length());
        }
        StringBuilder out = new StringBuilder();
        for (String[] line : lines) {
            String indent = " ".repeat(width + 2);
            out.append(line[0]).append(':').append(" ".repeat(width - line[0].length() + 1))
                    .append(line[1].replace("\n", "\n" + indent)).append('\n');
        }
        return out.toString();
    }
}
