package dev.gpufleet.chaos;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The suite's table: settings, one row per fault with its figures, then what each row observed. */
public record ChaosReport(List<String> settings, List<RowResult> rows, Duration took, String fleet) {

    public void print(PrintStream out) {
        out.println();
        out.println("What the fleet survives (" + fleet + "; " + seconds(took) + " in all)");
        settings.forEach(s -> out.println("  " + s));
        out.println();
        out.println(table(rows));
        for (RowResult r : rows) {
            if (!r.ran()) {
                out.println("DID NOT RUN  " + r.fault() + ": " + r.notRunReason());
            } else if (!r.holds()) {
                out.println("DOES NOT HOLD  " + r.observed());
            } else if (!r.notes().isEmpty()) {
                out.println("holds  " + r.fault() + ": " + String.join("; ", r.notes()));
            }
        }
        out.println();
    }

    /** A Markdown table of the rows. */
    public static String table(List<RowResult> rows) {
        List<String[]> lines = new ArrayList<>();
        lines.add(new String[]{"fault", "expected", "requests sent", "failed", "backends restarted without need",
                "events lost / doubled", "time to recover", "took", "holds"});
        for (RowResult r : rows) {
            if (!r.ran()) {
                lines.add(new String[]{r.fault(), r.expected(), "-", "-", "-", "-", "-", "-", "did not run"});
                continue;
            }
            lines.add(new String[]{r.fault(), r.expected(), Long.toString(r.sent()), Long.toString(r.failed()),
                    r.restartedWithoutNeed() == null ? "-" : Integer.toString(r.restartedWithoutNeed()),
                    r.eventsLost() == null ? "-" : r.eventsLost() + " / " + r.eventsDoubled(),
                    r.recovery() == null ? "-" : seconds(r.recovery()),
                    r.took() == null ? "-" : seconds(r.took()),
                    r.holds() ? "yes" : "NO"});
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < lines.size(); i++) {
            sb.append("| ").append(String.join(" | ", lines.get(i))).append(" |\n");
            if (i == 0) {
                sb.append("|").append("---|".repeat(lines.get(0).length)).append("\n");
            }
        }
        return sb.toString();
    }

    public static String seconds(Duration d) {
        return String.format(Locale.ROOT, "%.1f s", d.toMillis() / 1000.0);
    }
}
