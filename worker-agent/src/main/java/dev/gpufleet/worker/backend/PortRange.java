package dev.gpufleet.worker.backend;

import java.util.OptionalInt;
import java.util.Set;
import java.util.function.IntPredicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The ports backends get, {@code first..last} inclusive. */
public record PortRange(int first, int last) {
    private static final Pattern FORMAT = Pattern.compile("\\s*(\\d{1,5})\\s*-\\s*(\\d{1,5})\\s*");

    public PortRange {
        if (first < 1 || last > 65535 || first > last) {
            throw new IllegalArgumentException("port range " + first + "-" + last
                    + " is not FROM-TO with 1 <= FROM <= TO <= 65535");
        }
    }

    /** @throws IllegalArgumentException naming the setting and the expected form */
    public static PortRange parse(String setting) {
        Matcher m = FORMAT.matcher(setting == null ? "" : setting);
        if (!m.matches()) {
            throw new IllegalArgumentException("gpufleet.worker.port-range '" + setting
                    + "' is not FROM-TO, e.g. 40000-40063");
        }
        try {
            return new PortRange(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("gpufleet.worker.port-range '" + setting + "': " + e.getMessage());
        }
    }

    /**
     * The lowest port that this agent has not handed out and nothing else listens on.
     *
     * @param allocated ports this agent's backends hold
     * @param inUse     whether something else already listens on a port
     */
    public OptionalInt pick(Set<Integer> allocated, IntPredicate inUse) {
        for (int port = first; port <= last; port++) {
            if (!allocated.contains(port) && !inUse.test(port)) {
                return OptionalInt.of(port);
            }
        }
        return OptionalInt.empty();
    }

    public int size() {
        return last - first + 1;
    }

    @Override
    public String toString() {
        return first + "-" + last;
    }
}
