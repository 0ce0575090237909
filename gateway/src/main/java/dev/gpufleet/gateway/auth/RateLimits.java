package dev.gpufleet.gateway.auth;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Per-key limits as token buckets that refill continuously: requests per minute (taken at admission) and tokens per
 * minute (charged after the response, so one large answer may overdraw the bucket; the key then waits until it is
 * positive again). Held in memory: each gateway instance enforces the limits on its own, so N gateways behind a
 * load balancer let a key through up to N times its limit.
 */
public final class RateLimits {
    private static final double MILLIS_PER_MINUTE = 60_000.0;

    private final Map<String, Buckets> byKey = new ConcurrentHashMap<>();

    /** 0 = admitted; otherwise the seconds to wait (for Retry-After). */
    public long admit(Caller caller, long nowMillis) {
        if (caller.requestsPerMinute() <= 0 && caller.tokensPerMinute() <= 0) {
            return 0;
        }
        Buckets buckets = byKey.computeIfAbsent(caller.keyId(), id -> new Buckets(nowMillis));
        synchronized (buckets) {
            buckets.refill(caller, nowMillis);
            if (caller.tokensPerMinute() > 0 && buckets.tokens <= 0) {
                return secondsUntil(1 - buckets.tokens, caller.tokensPerMinute());
            }
            if (caller.requestsPerMinute() > 0) {
                if (buckets.requests < 1) {
                    return secondsUntil(1 - buckets.requests, caller.requestsPerMinute());
                }
                buckets.requests -= 1;
            }
            return 0;
        }
    }

    public void charge(Caller caller, long tokens, long nowMillis) {
        if (caller.tokensPerMinute() <= 0 || tokens <= 0) {
            return;
        }
        Buckets buckets = byKey.computeIfAbsent(caller.keyId(), id -> new Buckets(nowMillis));
        synchronized (buckets) {
            buckets.refill(caller, nowMillis);
            buckets.tokens -= tokens;
        }
    }

    private static long secondsUntil(double missing, double perMinute) {
        double millis = missing * MILLIS_PER_MINUTE / perMinute;
        return Math.max(1, (long) Math.ceil(millis / 1000.0));
    }

    private static final class Buckets {
        /** NaN until the first refill fills them to capacity. */
        double requests = Double.NaN;
        double tokens = Double.NaN;
        long updatedMillis;

        Buckets(long nowMillis) {
            this.updatedMillis = nowMillis;
        }

        void refill(Caller caller, long nowMillis) {
            long elapsed = Math.max(0, nowMillis - updatedMillis);
            updatedMillis = Math.max(updatedMillis, nowMillis);
            requests = refilled(requests, caller.requestsPerMinute(), elapsed);
            tokens = refilled(tokens, caller.tokensPerMinute(), elapsed);
        }

        private static double refilled(double level, double perMinute, long elapsedMillis) {
            if (Double.isNaN(level)) {
                return perMinute;
            }
            return Math.min(perMinute, level + elapsedMillis * perMinute / MILLIS_PER_MINUTE);
        }
    }
}
