package dev.gpufleet.chaos;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One row of the table: a fault, what the fleet must do under it, and what it did. A row holds when it ran and
 * nothing it expects was violated; a row that could not run (no network namespaces) says why.
 */
public final class RowResult {
    private final String fault;
    private final String expected;
    private String notRun;
    private long sent;
    private long failed;
    private Integer restartedWithoutNeed;
    private Integer eventsLost;
    private Integer eventsDoubled;
    private Duration recovery;
    private Duration took;
    private final List<String> violations = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();

    public RowResult(String fault, String expected) {
        this.fault = fault;
        this.expected = expected;
    }

    public static RowResult notRun(String fault, String expected, String why) {
        RowResult r = new RowResult(fault, expected);
        r.notRun = why;
        return r;
    }

    public String fault() {
        return fault;
    }

    public String expected() {
        return expected;
    }

    public boolean ran() {
        return notRun == null;
    }

    public String notRunReason() {
        return notRun;
    }

    public boolean holds() {
        return ran() && violations.isEmpty();
    }

    public RowResult requests(long sentCount, long failedCount) {
        this.sent = sentCount;
        this.failed = failedCount;
        return this;
    }

    public long sent() {
        return sent;
    }

    public long failed() {
        return failed;
    }

    public RowResult restartedWithoutNeed(int n) {
        this.restartedWithoutNeed = n;
        return this;
    }

    public Integer restartedWithoutNeed() {
        return restartedWithoutNeed;
    }

    public RowResult events(int lost, int doubled) {
        this.eventsLost = lost;
        this.eventsDoubled = doubled;
        return this;
    }

    public Integer eventsLost() {
        return eventsLost;
    }

    public Integer eventsDoubled() {
        return eventsDoubled;
    }

    public RowResult recovery(Duration d) {
        this.recovery = d;
        return this;
    }

    public Duration recovery() {
        return recovery;
    }

    public RowResult took(Duration d) {
        this.took = d;
        return this;
    }

    public Duration took() {
        return took;
    }

    /** Records a violation unless {@code ok}. */
    public boolean expect(boolean ok, String violation) {
        if (!ok) {
            violations.add(violation);
        }
        return ok;
    }

    public void violation(String v) {
        violations.add(v);
    }

    public void note(String n) {
        notes.add(n);
    }

    public List<String> violations() {
        return List.copyOf(violations);
    }

    public List<String> notes() {
        return List.copyOf(notes);
    }

    /** The failure message of a row that does not hold: what it observed. */
    public String observed() {
        List<String> all = new ArrayList<>(violations);
        if (!notes.isEmpty()) {
            all.add("(also: " + String.join("; ", notes) + ")");
        }
        return fault + ": " + String.join("; ", all);
    }
}
