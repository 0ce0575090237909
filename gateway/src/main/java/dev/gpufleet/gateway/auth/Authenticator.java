package dev.gpufleet.gateway.auth;

import dev.gpufleet.kit.auth.ClusterToken;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.Optional;

/**
 * Turns a bearer token into a {@link Caller}: the cluster token, or an API key.
 *
 * <p>Key rows are cached for {@code gpufleet.gateway.auth.key-cache-ttl} ({@link KeyCache}: unknown ids too, and a
 * verified secret is compared rather than hashed again). Revoking, expiring or disabling through this gateway evicts
 * at once; another gateway replica keeps the old row until its TTL runs out, so a revoked key may still work there
 * for at most that long.
 */
@Singleton
public class Authenticator {
    private static final Logger LOG = Logger.getLogger(Authenticator.class);

    public sealed interface Outcome permits Allowed, Refused {
    }

    public record Allowed(Caller caller) implements Outcome {
    }

    public record Refused(String message) implements Outcome {
    }

    private static final Allowed CLUSTER = new Allowed(Caller.CLUSTER_TOKEN);

    private final AuthStore store;
    private final Clock clock;
    private final ClusterToken clusterToken;
    private final boolean clusterTokenLooksLikeKey;
    private final KeyCache cache;

    public Authenticator(AuthStore store, Clock clock,
                         @ConfigProperty(name = "gpufleet.gateway.auth.key-cache-ttl", defaultValue = "10s")
                         Duration ttl,
                         ClusterToken clusterToken) {
        this.store = store;
        this.clock = clock;
        this.clusterToken = clusterToken;
        this.clusterTokenLooksLikeKey = clusterToken.value().startsWith(ApiKeyFormat.PREFIX);
        this.cache = new KeyCache(ttl, ApiKeyFormat::matches);
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
        return cache.decide(parsed.get(), clock.instant());
    }

    /** For a token {@link #decideNow} could not decide: loads the key, caches it and decides. */
    public Uni<Outcome> decideLater(String token) {
        ApiKeyFormat.Parsed parsed = ApiKeyFormat.parse(token).orElseThrow();
        return store.findKey(parsed.id()).map(found -> {
            Outcome outcome = cache.load(parsed, found, clock.instant());
            if (outcome instanceof Allowed) {
                store.touch(parsed.id()).subscribe().with(ignored -> { },
                        failure -> LOG.debugf("Could not note the use of key %s: %s", parsed.id(), failure));
            }
            return outcome;
        });
    }

    public void evict(String keyId) {
        cache.evict(keyId);
    }

    public void evict(Collection<String> keyIds) {
        cache.evict(keyIds);
    }
}
