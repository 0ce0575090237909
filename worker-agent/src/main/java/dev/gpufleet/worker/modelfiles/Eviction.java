package dev.gpufleet.worker.modelfiles;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Which model file sets the agent removes when its models disk runs low: only when free space is below the minimum,
 * only sets it downloaded that no instance uses, that are not downloading and that no instance used for
 * {@code unusedAfter}; oldest use first, until the minimum is free again (or nothing more may go). Pure.
 */
public final class Eviction {
    /**
     * @param lastUsedAt when an instance last used the set (or when it arrived, if none has)
     * @param removable  downloaded by the agent (not a local path) and not downloading now
     */
    public record Candidate(String id, long sizeBytes, Instant lastUsedAt, boolean inUse, boolean removable) {
    }

    private Eviction() {
    }

    /** @return the ids to remove, in the order to remove them */
    public static List<String> choose(List<Candidate> sets, long freeBytes, long minFreeBytes, Duration unusedAfter,
                                      Instant now) {
        if (freeBytes >= minFreeBytes) {
            return List.of();
        }
        Instant unusedSince = now.minus(unusedAfter);
        List<Candidate> eligible = sets.stream()
                .filter(c -> c.removable() && !c.inUse() && c.lastUsedAt() != null
                        && !c.lastUsedAt().isAfter(unusedSince))
                .sorted(Comparator.comparing(Candidate::lastUsedAt).thenComparing(Candidate::id))
                .toList();
        List<String> chosen = new ArrayList<>();
        long free = freeBytes;
        for (Candidate candidate : eligible) {
            if (free >= minFreeBytes) {
                break;
            }
            chosen.add(candidate.id());
            free += Math.max(0, candidate.sizeBytes());
        }
        return chosen;
    }
}
