package dev.gpufleet.gateway.auth;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Limits as token buckets that refill continuously: requests per minute (taken at admission) and tokens per minute
 * (charged after the response, so one large answer may overdraw the bucket; the caller then waits until it is
 * positive again). Two sets: each key's own limits, and its owner's, one bucket per user shared by all of the user's
 * keys, so a user with several keys gets its limits once, not once per key. A request is admitted only when both
 * have room, and then counts against both. Held in memory: each gateway instance enforces the limits on its own, so N
 * gateways behind a load balancer let a caller through up to N times its limit.
 */
public final class RateLimits {
    private static final double MILLIS_PER_MINUTE = 60_000.0;

    private final Map<String, Buckets> buckets = new ConcurrentHashMap<>();

    /** 0 = admitted; otherwise the seconds to wait (for Retry-After). */
    public long admit(Caller caller, long nowMillis) {
        Buckets user = bucketsOf(userBuckets(caller), caller.userRequestsPerMinute(), caller.userTokensPerMinute(),
                nowMillis);
        Buckets key = bucketsOf("key:" + caller.keyId(), caller.requestsPerMinute(), caller.tokensPerMinute(),
                nowMillis);
        if (user == null && key == null) {
            return 0;
        }
        // always the user's first, then the key's: no two admissions lock them in opposite orders
        Object first = user != null ? user : key;
        synchronized (first) {
            synchronized (key != null ? key : first) {
                long wait = Math.max(
                        user == null ? 0 : user.wait(caller.userRequestsPerMinute(), caller.userTokensPerMinute(),
                                nowMillis),
                        key == null ? 0 : key.wait(caller.requestsPerMinute(), caller.tokensPerMinute(), nowMillis));
                if (wait > 0) {
                    return wait;
                }
                if (user != null) {
                    user.take(caller.userRequestsPerMinute());
                }
                if (key != null) {
                    key.take(caller.requestsPerMinute());
                }
                return 0;
            }
        }
    }

    public void charge(Caller caller, long tokens, long nowMillis) {
        if (tokens <= 0) {
            return;
        }
        if (caller.userTokensPerMinute() > 0) {
            charge(bucketsOf(userBuckets(caller), caller.userRequestsPerMinute(), caller.userTokensPerMinute(),
                    nowMillis), caller.userRequestsPerMinute(), caller.userTokensPerMinute(), tokens, nowMillis);
        }
        if (caller.tokensPerMinute() > 0) {
            charge(bucketsOf("key:" + caller.keyId(), caller.requestsPerMinute(), caller.tokensPerMinute(),
                    nowMillis), caller.requestsPerMinute(), caller.tokensPerMinute(), tokens, nowMillis);
        }
    }

    private static void charge(Buckets b, int requestsPerMinute, long tokensPerMinute, long tokens, long nowMillis) {
        synchronized (b) {
            b.refill(requestsPerMinute, tokensPerMinute, nowMillis);
            b.tokens -= tokens;
        }
    }

    private static String userBuckets(Caller caller) {
        return "user:" + caller.userId();
    }

    /** The buckets of {@code id}, or null when neither limit is set. */
    private Buckets bucketsOf(String id, int requestsPerMinute, long tokensPerMinute, long nowMillis) {
        if (requestsPerMinute <= 0 && tokensPerMinute <= 0) {
            return null;
        }
        return buckets.computeIfAbsent(id, ignored -> new Buckets(nowMillis));
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

        /** Seconds until a request may pass, after refilling; 0 = now. */
        long wait(int requestsPerMinute, long tokensPerMinute, long nowMillis) {
            refill(requestsPerMinute, tokensPerMinute, nowMillis);
            if (tokensPerMinute > 0 && tokens <= 0) {
                return secondsUntil(1 - tokens, tokensPerMinute);
            }
            if (requestsPerMinute > 0 && requests < 1) {
                return secondsUntil(1 - requests, requestsPerMinute);
            }
            return 0;
        }

        void take(int requestsPerMinute) {
            if (requestsPerMinute > 0) {
                requests -= 1;
            }
        }

        void refill(int requestsPerMinute, long tokensPerMinute, long nowMillis) {
            long elapsed = Math.max(0, nowMillis - updatedMillis);
            updatedMillis = Math.max(updatedMillis, nowMillis);
            requests = refilled(requests, requestsPerMinute, elapsed);
            tokens = refilled(tokens, tokensPerMinute, elapsed);
        }

        private static double refilled(double level, double perMinute, long elapsedMillis) {
            if (Double.isNaN(level)) {
                return perMinute;
            }
            return Math.min(perMinute, level + elapsedMillis * perMinute / MILLIS_PER_MINUTE);
        }
    }
}
