package dev.gpufleet.cli;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A table for people: upper-case headers, columns padded to their widest cell and three spaces apart, the last
 * column not padded; an absent value shows as {@code -}. Numbers are right-aligned in the columns marked so.
 */
public final class Table {
    private static final String GAP = "   ";

    private final String[] headers;
    private final boolean[] rightAligned;
    private final List<String[]> rows = new ArrayList<>();

    public Table(String... headers) {
        this.headers = headers.clone();
        this.rightAligned = new boolean[headers.length];
    }

    /** Right-aligns the named columns (counts, sizes). */
    public Table right(String... columns) {
        List<String> names = Arrays.asList(headers);
        for (String column : columns) {
            int i = names.indexOf(column);
            if (i < 0) {
                throw new IllegalArgumentException("no column " + column + " in " + names);
            }
            rightAligned[i] = true;
        }
        return this;
    }

    public Table row(Object... cells) {
        if (cells.length != headers.length) {
            throw new IllegalArgumentException("a row of " + cells.length + " cells for " + headers.length
                    + " columns");
        }
        String[] row = new String[cells.length];
        for (int i = 0; i < cells.length; i++) {
            String text = cells[i] == null ? "-" : cells[i].toString();
            row[i] = text.isEmpty() ? "-" : text.replace('\n', ' ');
        }
        rows.add(row);
        return this;
    }

    public boolean isEmpty() {
        return rows.isEmpty();
    }

    public String render() {
        int[] widths = new int[headers.length];
        for (int i = 0; i < headers.length; i++) {
            widths[i] = headers[i].length();
            for (String[] row : rows) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        StringBuilder out = new StringBuilder();
        line(out, headers, widths);
        for (String[] row : rows) {
            line(out, row, widths);
        }
        return out.toString();
    }

    private void line(StringBuilder out, String[] cells, int[] widths) {
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < cells.length; i++) {
            boolean last = i == cells.length - 1;
            String pad = " ".repeat(widths[i] - cells[i].length());
            if (rightAligned[i]) {
                line.append(pad).append(cells[i]);
            } else {
                line.append(cells[i]);
                if (!last) {
                    line.append(pad);
                }
            }
            if (!last) {
                line.append(GAP);
            }
        }
        out.append(line.toString().stripTrailing()).append('\n');
    }
}
