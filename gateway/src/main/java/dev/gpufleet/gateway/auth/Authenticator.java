package dev.gpufleet.gateway.auth;

import dev.gpufleet.gateway.health.DatabaseGuard;
import dev.gpufleet.kit.auth.ClusterToken;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Turns a bearer token into a {@link Caller}: the cluster token, or an API key.
 *
 * <p>Key rows are cached for {@code gpufleet.gateway.auth.key-cache-ttl} ({@link KeyCache}: unknown ids too, and a
 * verified secret is compared rather than hashed again). Revoking, expiring or disabling through this gateway evicts
 * at once; another gateway replica keeps the old row until its TTL runs out, so a revoked key may still work there
 * for at most that long.
 *
 * <p>While the database cannot be asked (its last call or probe failed, {@link DatabaseGuard}), a cached row is
 * used past its TTL, up to {@code gpufleet.gateway.auth.stale-key-limit} after it was loaded, and a key with no
 * row here is {@link Unavailable} at once rather than after a lookup that would wait for its deadline. Lookups of
 * one key id share one query.
 */
@Singleton
public class Authenticator {
    private static final Logger LOG = Logger.getLogger(Authenticator.class);

    public sealed interface Outcome permits Allowed, Refused, Unavailable {
    }

    public record Allowed(Caller caller) implements Outcome {
    }

    public record Refused(String message) implements Outcome {
    }

    /** The key could not be checked: the database cannot be asked and no row of it is held. */
    public record Unavailable(String message) implements Outcome {
    }

    private static final Allowed CLUSTER = new Allowed(Caller.CLUSTER_TOKEN);
    static final Unavailable DATABASE_AWAY = new Unavailable("The gateway cannot check this API key while its "
            + "database is unreachable; retry shortly.");

    private final AuthStore store;
    private final Clock clock;
    private final ClusterToken clusterToken;
    private final boolean clusterTokenLooksLikeKey;
    private final KeyCache cache;
    private final DatabaseGuard database;
    /** Lookups in flight by key id: concurrent requests with one key wait for one query. */
    private final Map<String, Uni<Optional<StoredKey>>> lookups = new ConcurrentHashMap<>();

    public Authenticator(AuthStore store, Clock clock,
                         @ConfigProperty(name = "gpufleet.gateway.auth.key-cache-ttl", defaultValue = "10s")
                         Duration ttl,
                         @ConfigProperty(name = "gpufleet.gateway.auth.stale-key-limit", defaultValue = "1h")
                         Duration staleLimit,
                         ClusterToken clusterToken, DatabaseGuard database) {
        this.store = store;
        this.clock = clock;
        this.clusterToken = clusterToken;
        this.clusterTokenLooksLikeKey = clusterToken.value().startsWith(ApiKeyFormat.PREFIX);
        this.cache = new KeyCache(ttl, staleLimit, ApiKeyFormat::matches);
        this.database = database;
    }

    /** The outcome if it can be decided without the database; null if the key must be loaded first. */
    public Outcome decideNow(String token) {
        // an API key (gpf_...) is not compared with a cluster token that cannot look like one: the branch depends
        // only on the public key prefix, never on a secret
        if ((clusterTokenLooksLikeKey || !token.startsWith(ApiKeyFormat.PREFIX)) && clusterToken.matches(token)) {
            return CLUSTER;
        }
        Optional<ApiKeyFormat.Parsed> parsed = ApiKeyFormat.parse(token);
        if (parsed.isEmpty()) {
            return KeyCache.INVALID;
        }
        Outcome fresh = cache.decide(parsed.get(), clock.instant());
        if (fresh != null || database.available()) {
            return fresh;
        }
        Outcome stale = cache.decideStale(parsed.get(), clock.instant());
        return stale != null ? stale : DATABASE_AWAY;
    }

    /**
     * For a token {@link #decideNow} could not decide: loads the key, caches it and decides. Never fails: if the
     * database cannot be asked, the row held (within the stale limit) decides, else the outcome is
     * {@link Unavailable}.
     */
    public Uni<Outcome> decideLater(String token) {
        ApiKeyFormat.Parsed parsed = ApiKeyFormat.parse(token).orElseThrow();
        return lookup(parsed.id()).map(found -> {
            Outcome outcome = cache.load(parsed, found, clock.instant());
            if (outcome instanceof Allowed) {
                store.touch(parsed.id()).subscribe().with(ignored -> { },
                        failure -> LOG.debugf("Could not note the use of key %s: %s", parsed.id(), failure));
            }
            return outcome;
        }).onFailure().recoverWithItem(failure -> {
            LOG.debugf("Could not load key %s: %s", parsed.id(), failure);
            Outcome stale = cache.decideStale(parsed, clock.instant());
            return stale != null ? stale : DATABASE_AWAY;
        });
    }

    private Uni<Optional<StoredKey>> lookup(String keyId) {
        Uni<Optional<StoredKey>> shared = lookups.get(keyId);
        if (shared != null) {
            return shared;
        }
        Uni<Optional<StoredKey>> started = store.findKey(keyId)
                .onTermination().invoke(() -> lookups.remove(keyId))
                .memoize().indefinitely();
        Uni<Optional<StoredKey>> raced = lookups.putIfAbsent(keyId, started);
        return raced != null ? raced : started;
    }

    /** Whether a real key's row is cached for this id, however old (for tests: the cache is not flushed by floods). */
    public boolean holdsKey(String keyId) {
        return cache.holdsKey(keyId);
    }

    public void evict(String keyId) {
        cache.evict(keyId);
    }

    public void evict(Collection<String> keyIds) {
        cache.evict(keyIds);
    }
}
