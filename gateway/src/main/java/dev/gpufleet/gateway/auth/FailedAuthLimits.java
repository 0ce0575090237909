package dev.gpufleet.gateway.auth;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Failed authentications per client address, as a small token bucket each: {@code perMinute} failures at once,
 * refilled at {@code perMinute} a minute. An address whose bucket is empty is refused before its key is looked up,
 * so a flood of made-up keys from one address costs the database nothing. Only failures reach here; a request with
 * a good key never does. The addresses held are bounded: past {@link #MAX_ADDRESSES}, those whose buckets are full
 * again go, then all.
 */
final class FailedAuthLimits {
    static final int MAX_ADDRESSES = 10_000;
    private static final double MILLIS_PER_MINUTE = 60_000.0;

    private final double perMinute;
    private final int maxAddresses;
    private final Map<String, Bucket> byAddress = new ConcurrentHashMap<>();

    FailedAuthLimits(int perMinute) {
        this(perMinute, MAX_ADDRESSES);
    }

    FailedAuthLimits(int perMinute, int maxAddresses) {
        if (perMinute < 1) {
            throw new IllegalArgumentException("gpufleet.gateway.auth.max-failures-per-minute must be at least 1, was "
                    + perMinute);
        }
        this.perMinute = perMinute;
        this.maxAddresses = maxAddresses;
    }

    /** 0 while the address may fail again; otherwise the seconds until it may (for Retry-After). */
    long retryAfterSeconds(String address, long nowMillis) {
        Bucket bucket = byAddress.get(address);
        if (bucket == null) {
            return 0;
        }
        synchronized (bucket) {
            bucket.refill(nowMillis, perMinute);
            return bucket.failures >= 1 ? 0 : Math.max(1, (long) Math.ceil((1 - bucket.failures)
                    * MILLIS_PER_MINUTE / perMinute / 1000.0));
        }
    }

    /** The address failed to authenticate once more. */
    void failed(String address, long nowMillis) {
        Bucket bucket = byAddress.get(address);
        if (bucket == null) {
            if (byAddress.size() >= maxAddresses) {
                byAddress.values().removeIf(b -> b.fullAt(nowMillis, perMinute));
                if (byAddress.size() >= maxAddresses) {
                    byAddress.clear();
                }
            }
            bucket = byAddress.computeIfAbsent(address, a -> new Bucket(nowMillis, perMinute));
        }
        synchronized (bucket) {
            bucket.refill(nowMillis, perMinute);
            bucket.failures = Math.max(0, bucket.failures - 1);
        }
    }

    int addresses() {
        return byAddress.size();
    }

    private static final class Bucket {
        /** Failures still allowed now. */
        double failures;
        long updatedMillis;

        Bucket(long nowMillis, double perMinute) {
            failures = perMinute;
            updatedMillis = nowMillis;
        }

        void refill(long nowMillis, double perMinute) {
            long elapsed = Math.max(0, nowMillis - updatedMillis);
            updatedMillis = Math.max(updatedMillis, nowMillis);
            failures = Math.min(perMinute, failures + elapsed * perMinute / MILLIS_PER_MINUTE);
        }

        synchronized boolean fullAt(long nowMillis, double perMinute) {
            refill(nowMillis, perMinute);
            return failures >= perMinute;
        }
    }
}
