package dev.gpufleet.gateway.routing;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Which instance takes the next request: the one with the fewest outstanding requests; among equals, the
 * {@code turn}-th (modulo their count) in the order given, so successive turns rotate through them.
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
        int fewest = Integer.MAX_VALUE;
        for (String id : candidates) {
            if (!excluded.contains(id)) {
                fewest = Math.min(fewest, outstanding.getOrDefault(id, 0));
            }
        }
        if (fewest == Integer.MAX_VALUE) {
            return Optional.empty();
        }
        int least = fewest;
        List<String> ties = candidates.stream()
                .filter(id -> !excluded.contains(id) && outstanding.getOrDefault(id, 0) == least)
                .toList();
        return Optional.of(ties.get((int) Math.floorMod(turn, (long) ties.size())));
    }
}
