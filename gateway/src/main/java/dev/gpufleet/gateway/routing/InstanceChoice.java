package dev.gpufleet.gateway.routing;

import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Which instance takes the next request. Instances being skipped for repeated failures are left out unless every
 * other one is too. Without an affinity key: the one with the fewest outstanding requests; among equals, the
 * {@code turn}-th (modulo their count) in the order given, so successive turns rotate through them. With one
 * (a hash of the prompt's leading blocks): the instances ranked by rendezvous hashing of key and id, and the
 * first whose outstanding count is within {@code slack} of the least loaded; so a shared prompt prefix keeps
 * landing on the instance that has it cached until that instance gets busier than the rest by more than
 * {@code slack}, and then on the next in its ranking.
 */
public final class InstanceChoice {
    private InstanceChoice() {
    }

    /**
     * @param candidates  routable instance ids, in a stable order (the routing table sorts them by id)
     * @param outstanding requests in flight per instance id; absent = none
     * @param excluded    ids not to choose (already tried for this request)
     * @param turn        a counter that grows with every choice
     */
    public static Optional<String> choose(List<String> candidates, Map<String, Integer> outstanding,
                                          Collection<String> excluded, long turn) {
        return choose(candidates, outstanding, excluded, List.of(), OptionalLong.empty(), 0, turn);
    }

    /**
     * @param skipped  ids failing repeatedly: chosen only when no other candidate is left
     * @param affinity the request's prefix key ({@link PrefixKey}), if its prompt is long enough to have one
     * @param slack    how many more outstanding requests than the least loaded an affine instance may have
     */
    public static Optional<String> choose(List<String> candidates, Map<String, Integer> outstanding,
                                          Collection<String> excluded, Collection<String> skipped,
                                          OptionalLong affinity, int slack, long turn) {
        List<String> open = candidates.stream().filter(id -> !excluded.contains(id)).toList();
        List<String> healthy = open.stream().filter(id -> !skipped.contains(id)).toList();
        List<String> pool = healthy.isEmpty() ? open : healthy;
        if (pool.isEmpty()) {
            return Optional.empty();
        }
        int fewest = pool.stream().mapToInt(id -> outstanding.getOrDefault(id, 0)).min().orElseThrow();
        if (affinity.isPresent()) {
            long key = affinity.getAsLong();
            long bound = (long) fewest + Math.max(0, slack);
            return pool.stream()
                    .sorted(Comparator.comparingLong((String id) -> score(key, id)).reversed()
                            .thenComparing(Comparator.naturalOrder()))
                    .filter(id -> outstanding.getOrDefault(id, 0) <= bound)
                    .findFirst();
        }
        List<String> ties = pool.stream().filter(id -> outstanding.getOrDefault(id, 0) == fewest).toList();
        return Optional.of(ties.get((int) Math.floorMod(turn, (long) ties.size())));
    }

    /** Rendezvous (highest random weight) score: stable per (key, id), independent of the other candidates. */
    static long score(long key, String instanceId) {
        return mix(key ^ fnv1a(instanceId.getBytes(StandardCharsets.UTF_8)));
    }

    static long fnv1a(byte[] bytes) {
        long hash = 0xcbf29ce484222325L;
        for (byte b : bytes) {
            hash ^= b & 0xff;
            hash *= 0x100000001b3L;
        }
        return hash;
    }

    /** SplitMix64's finalizer: spreads nearby inputs over the whole range. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
