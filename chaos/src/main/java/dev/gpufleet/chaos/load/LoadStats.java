package dev.gpufleet.chaos.load;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

/** Counts and latencies of a set of requests. Pure. */
public record LoadStats(long sent, long failed, long p50Millis, long p90Millis, Map<String, Long> failuresByOutcome,
                        Map<String, String> examples) {

    public static LoadStats of(Collection<RequestRecord> records) {
        List<Long> okLatencies = new ArrayList<>();
        Map<String, Long> failures = new TreeMap<>();
        Map<String, String> examples = new TreeMap<>();
        long failed = 0;
        for (RequestRecord r : records) {
            if (r.ok()) {
                okLatencies.add(r.latencyMillis());
            } else {
                failed++;
                String key = r.model() + " " + r.outcome();
                failures.merge(key, 1L, Long::sum);
                if (r.status() > 0 && r.error() != null && !r.error().isBlank()) {
                    examples.putIfAbsent(key, r.error());
                }
            }
        }
        okLatencies.sort(null);
        return new LoadStats(records.size(), failed, percentile(okLatencies, 50), percentile(okLatencies, 90), failures,
                examples);
    }

    public static List<RequestRecord> where(Collection<RequestRecord> records, Predicate<RequestRecord> filter) {
        return records.stream().filter(filter).toList();
    }

    /** Nearest-rank percentile of sorted values; -1 for none. */
    static long percentile(List<Long> sorted, int p) {
        if (sorted.isEmpty()) {
            return -1;
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.size());
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
    }

    /** The failures, most frequent first, for a message: "12 × standin no answer (...)". */
    public String describeFailures() {
        if (failed == 0) {
            return "none";
        }
        List<String> parts = new ArrayList<>();
        failuresByOutcome.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue(), a.getValue()))
                .limit(6).forEach(e -> parts.add(e.getValue() + " × " + e.getKey()
                        + (examples.containsKey(e.getKey()) ? " " + examples.get(e.getKey()) : "")));
        return String.join("; ", parts);
    }
}
