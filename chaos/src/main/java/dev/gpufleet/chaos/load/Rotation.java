package dev.gpufleet.chaos.load;

import java.util.ArrayList;
import java.util.List;

/**
 * Which gateways a load balancer in front of them sends to, from their readiness probes the way a Kubernetes
 * Service does it: a gateway leaves after {@code failureThreshold} failed probes in a row and comes back after one
 * that succeeds. Pure: probe results in, membership out.
 */
public final class Rotation {
    private final int failureThreshold;
    private final boolean[] in;
    private final int[] failures;

    public Rotation(int gateways, int failureThreshold) {
        this.failureThreshold = failureThreshold;
        this.in = new boolean[gateways];
        this.failures = new int[gateways];
        java.util.Arrays.fill(in, true);
    }

    public synchronized void probed(int gateway, boolean ready) {
        if (ready) {
            failures[gateway] = 0;
            in[gateway] = true;
        } else if (++failures[gateway] >= failureThreshold) {
            in[gateway] = false;
        }
    }

    public synchronized boolean inRotation(int gateway) {
        return in[gateway];
    }

    public synchronized List<Integer> members() {
        List<Integer> m = new ArrayList<>();
        for (int g = 0; g < in.length; g++) {
            if (in[g]) {
                m.add(g);
            }
        }
        return m;
    }

    public int size() {
        return in.length;
    }
}
