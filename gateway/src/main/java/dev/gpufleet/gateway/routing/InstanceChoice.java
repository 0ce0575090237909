package dev.gpufleet.gateway.routing;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;

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
        // plain loops: this runs on the event loop for every request
        List<String> pool = new ArrayList<>(candidates.size());
        boolean anyHealthy = false;
        for (String id : candidates) {
            if (!excluded.contains(id)) {
                anyHealthy |= !skipped.contains(id);
                pool.add(id);
            }
        }
        if (anyHealthy && !skipped.isEmpty()) {
            pool.removeIf(skipped::contains);
        }
        if (pool.isEmpty()) {
            return Optional.empty();
        }
        int fewest = Integer.MAX_VALUE;
        for (String id : pool) {
            fewest = Math.min(fewest, outstanding.getOrDefault(id, 0));
        }
        if (affinity.isPresent()) {
            long key = affinity.getAsLong();
            long bound = (long) fewest + Math.max(0, slack);
            String best = null;
            long bestScore = 0;
            for (String id : pool) {
                if (outstanding.getOrDefault(id, 0) > bound) {
                    continue;
                }
                long score = score(key, id);
                if (best == null || score > bestScore || (score == bestScore && id.compareTo(best) < 0)) {
                    best = id;
                    bestScore = score;
                }
            }
            return Optional.ofNullable(best);
        }
        int ties = 0;
        for (String id : pool) {
            if (outstanding.getOrDefault(id, 0) == fewest) {
                ties++;
            }
        }
        long wanted = Math.floorMod(turn, (long) ties);
        for (String id : pool) {
            if (outstanding.getOrDefault(id, 0) == fewest && wanted-- == 0) {
                return Optional.of(id);
            }
        }
        throw new IllegalStateException("unreachable: " + ties + " ties counted");
    }

    /** Rendezvous (highest random weight) score: stable per (key, id), independent of the other candidates. */
    static long score(long key, String instanceId) {
        return mix(key ^ idHash(instanceId));
    }

    /** Instance ids are few and long-lived; their hashes are kept rather than recomputed for every request. */
    private static final Map<String, Long> ID_HASHES = new ConcurrentHashMap<>();

    private static long idHash(String instanceId) {
        Long known = ID_HASHES.get(instanceId);
        if (known != null) {
            return known;
        }
        if (ID_HASHES.size() > 10_000) {
            ID_HASHES.clear(); // instances come and go; a bound, not an eviction policy
        }
        long hash = fnv1a(instanceId.getBytes(StandardCharsets.UTF_8));
        ID_HASHES.put(instanceId, hash);
        return hash;
    }

    private static final long FNV_OFFSET = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;

    static long fnv1a(byte[] bytes) {
        long hash = FNV_OFFSET;
        for (byte b : bytes) {
            hash ^= b & 0xff;
            hash *= FNV_PRIME;
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
