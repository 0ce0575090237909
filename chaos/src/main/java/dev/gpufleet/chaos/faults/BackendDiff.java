package dev.gpufleet.chaos.faults;

import dev.gpufleet.chaos.fleet.BackendProcess;

import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which backend processes of before a fault are gone after it (stopped, or restarted: a restarted backend is a new
 * process), leaving out those the fault was meant to end. Pure.
 */
public final class BackendDiff {
    private BackendDiff() {
    }

    /**
     * @param allowedEndpoints endpoints whose processes the fault may end (the crashed backend, a scaled-down
     *                         instance, the backends of a worker whose instances moved away)
     */
    public static List<BackendProcess> goneWithoutNeed(Collection<BackendProcess> before,
                                                       Collection<BackendProcess> after,
                                                       Collection<String> allowedEndpoints) {
        Set<String> alive = after.stream().map(BackendProcess::identity).collect(Collectors.toSet());
        return before.stream()
                .filter(b -> !alive.contains(b.identity()))
                .filter(b -> !allowedEndpoints.contains(b.endpoint()))
                .toList();
    }

    public static String describe(List<BackendProcess> gone) {
        return gone.stream().map(b -> b.alias() + " at " + b.endpoint() + " (pid " + b.pid() + ")")
                .collect(Collectors.joining(", "));
    }
}
