package dev.gpufleet.gateway.auth;

import io.smallrye.mutiny.Uni;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Turns a bearer token into a {@link Caller}: the cluster token, or an API key.
 *
 * <p>Key rows are cached for {@code gpufleet.gateway.auth.key-cache-ttl} (unknown ids too, so random keys cannot
 * hammer the database); each request still checks the secret against the cached hash. Revoking, expiring or
 * disabling through this gateway evicts at once; another gateway replica keeps the old row until its TTL runs out,
 * so a revoked key may still work there for at most that long.
 */
@Singleton
public class Authenticator {
    /** A bound on the cache: past it, the cache starts over (a flood of made-up key ids, say). */
    static final int MAX_CACHED = 100_000;
    private static final Logger LOG = Logger.getLogger(Authenticator.class);

    public sealed interface Outcome permits Allowed, Refused {
    }

    public record Allowed(Caller caller) implements Outcome {
    }

    public record Refused(String message) implements Outcome {
    }

    private record Cached(Optional<StoredKey> key, Instant loadedAt) {
    }

    private static final Refused INVALID = new Refused("Incorrect API key provided. "
            + "Send 'Authorization: Bearer <key>' with a key from /api/v1/api-keys.");

    private final AuthStore store;
    private final Clock clock;
    private final Duration ttl;
    private final byte[] clusterToken;
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();

    public Authenticator(AuthStore store, Clock clock,
                         @ConfigProperty(name = "gpufleet.gateway.auth.key-cache-ttl", defaultValue = "10s")
                         Duration ttl,
                         @ConfigProperty(name = "gpufleet.cluster-token") String clusterToken) {
        if (clusterToken.length() < 16) {
            throw new IllegalArgumentException("gpufleet.cluster-token (GPUFLEET_CLUSTER_TOKEN) must be at least "
                    + "16 characters");
        }
        this.store = store;
        this.clock = clock;
        this.ttl = ttl;
        this.clusterToken = clusterToken.getBytes(StandardCharsets.UTF_8);
    }

    /** The outcome if it can be decided without the database; null if the key must be loaded first. */
    public Outcome decideNow(String token) {
        if (MessageDigest.isEqual(clusterToken, token.getBytes(StandardCharsets.UTF_8))) {
            return new Allowed(Caller.CLUSTER_TOKEN);
        }
        Optional<ApiKeyFormat.Parsed> parsed = ApiKeyFormat.parse(token);
        if (parsed.isEmpty()) {
            return INVALID;
        }
        Cached cached = cache.get(parsed.get().id());
        Instant now = clock.instant();
        if (cached == null || !now.isBefore(cached.loadedAt().plus(ttl))) {
            return null;
        }
        return judge(cached.key(), parsed.get(), now);
    }

    /** For a token {@link #decideNow} could not decide: loads the key, caches it and decides. */
    public Uni<Outcome> decideLater(String token) {
        ApiKeyFormat.Parsed parsed = ApiKeyFormat.parse(token).orElseThrow();
        return store.findKey(parsed.id()).map(found -> {
            Instant now = clock.instant();
            if (cache.size() >= MAX_CACHED) {
                cache.clear();
            }
            cache.put(parsed.id(), new Cached(found, now));
            Outcome outcome = judge(found, parsed, now);
            if (outcome instanceof Allowed) {
                store.touch(parsed.id()).subscribe().with(ignored -> { },
                        failure -> LOG.debugf("Could not note the use of key %s: %s", parsed.id(), failure));
            }
            return outcome;
        });
    }

    public void evict(String keyId) {
        cache.remove(keyId);
    }

    public void evict(Collection<String> keyIds) {
        keyIds.forEach(cache::remove);
    }

    private static Outcome judge(Optional<StoredKey> key, ApiKeyFormat.Parsed presented, Instant now) {
        if (key.isEmpty()) {
            return INVALID;
        }
        return switch (key.get().verify(presented, now)) {
            case OK -> new Allowed(key.get().caller());
            case WRONG_SECRET -> INVALID;
            case EXPIRED -> new Refused("This API key has expired.");
            case REVOKED -> new Refused("This API key has been revoked.");
            case USER_DISABLED -> new Refused("This API key's user is disabled.");
        };
    }
}
