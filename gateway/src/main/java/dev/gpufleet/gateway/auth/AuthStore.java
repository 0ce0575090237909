package dev.gpufleet.gateway.auth;

import dev.gpufleet.gateway.health.DatabaseGuard;
import dev.gpufleet.kit.http.ApiException;
import dev.gpufleet.kit.http.PageRequest;
import dev.gpufleet.kit.http.PageView;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Users and API keys in schema {@code gateway}, with plain SQL on the reactive pool. Every call a request makes goes
 * under {@link DatabaseGuard}'s deadline, so a database that is away answers 503 rather than a hang.
 */
@ApplicationScoped
public class AuthStore {
    private static final String USER_COLUMNS = "id, name, admin, created_at, disabled, requests_per_minute, "
            + "tokens_per_minute, max_key_days";
    private static final String KEY_COLUMNS = "k.id, k.name, k.user_id, u.name AS user_name, k.created_at, "
            + "k.expires_at, k.revoked_at, k.last_used_at, k.requests_per_minute, k.tokens_per_minute";

    private final Pool pool;
    private final Clock clock;
    private final DatabaseGuard guard;

    public AuthStore(Pool pool, Clock clock, DatabaseGuard guard) {
        this.pool = pool;
        this.clock = clock;
        this.guard = guard;
    }

    public Uni<Optional<StoredKey>> findKey(String id) {
        return guard.guard(pool.preparedQuery("SELECT k.id, k.user_id, u.name, u.admin, u.disabled, k.hash, "
                        + "k.expires_at, k.revoked_at, k.requests_per_minute, k.tokens_per_minute, "
                        + "u.requests_per_minute, u.tokens_per_minute "
                        + "FROM gateway.api_keys k JOIN gateway.users u ON u.id = k.user_id WHERE k.id = $1")
                .execute(Tuple.of(id))
                .map(rows -> first(rows).map(r -> new StoredKey(r.getString(0), r.getUUID(1).toString(),
                        r.getString(2), r.getBoolean(3), r.getBoolean(4), r.getBuffer(5).getBytes(),
                        instant(r.getOffsetDateTime(6)), instant(r.getOffsetDateTime(7)), r.getInteger(8),
                        r.getLong(9), r.getInteger(10), r.getLong(11)))));
    }

    /** Best effort and coarse: called when a key is (re)verified against the database, not on every request. */
    public Uni<Void> touch(String keyId) {
        return guard.guard(pool.preparedQuery("UPDATE gateway.api_keys SET last_used_at = $2 WHERE id = $1")
                .execute(Tuple.of(keyId, offset(now()))).replaceWithVoid());
    }

    public Uni<Long> countUsers() {
        return pool.query("SELECT count(*) FROM gateway.users").execute()
                .map(rows -> rows.iterator().next().getLong(0));
    }

    /** Empty if a user of this name exists already (two gateways starting at once, say). */
    public Uni<Optional<UserView>> createUserIfAbsent(String name, boolean admin) {
        return createUserIfAbsent(name, admin, UserLimits.NONE);
    }

    /** Empty if a user of this name exists already. */
    public Uni<Optional<UserView>> createUserIfAbsent(String name, boolean admin, UserLimits limits) {
        UserView user = new UserView(UUID.randomUUID().toString(), name, admin, now(), false, limits);
        return guard.guard(pool.preparedQuery("INSERT INTO gateway.users (id, name, admin, created_at, disabled, "
                        + "requests_per_minute, tokens_per_minute, max_key_days) "
                        + "VALUES ($1, $2, $3, $4, false, $5, $6, $7) ON CONFLICT (name) DO NOTHING")
                .execute(Tuple.from(new Object[]{UUID.fromString(user.id()), name, admin,
                        offset(user.createdAt()), limits.requestsPerMinute(), limits.tokensPerMinute(),
                        limits.maxKeyDays()}))
                .map(rows -> rows.rowCount() == 1 ? Optional.of(user) : Optional.empty()));
    }

    /**
     * The first start's admin user and its key, in one transaction, only while there is no user at all; false if
     * there was one (another gateway got there first, say).
     */
    public Uni<Boolean> createFirstAdmin(String name, ApiKeyFormat.NewKey key) {
        UUID userId = UUID.randomUUID();
        OffsetDateTime now = offset(now());
        return pool.withTransaction(conn -> conn.preparedQuery("INSERT INTO gateway.users "
                        + "(id, name, admin, created_at, disabled) SELECT $1, $2, true, $3, false "
                        + "WHERE NOT EXISTS (SELECT 1 FROM gateway.users) ON CONFLICT (name) DO NOTHING")
                .execute(Tuple.of(userId, name, now))
                .chain(inserted -> inserted.rowCount() == 0 ? Uni.createFrom().item(false)
                        : conn.preparedQuery("INSERT INTO gateway.api_keys (id, user_id, name, hash, created_at) "
                                        + "VALUES ($1, $2, $3, $4, $5)")
                                .execute(Tuple.of(key.id(), userId, name,
                                        io.vertx.core.buffer.Buffer.buffer(key.hash()), now))
                                .map(ignored -> true)));
    }

    public Uni<UserView> createUser(String name, boolean admin, UserLimits limits) {
        return createUserIfAbsent(name, admin, limits).map(created -> created.orElseThrow(() ->
                ApiException.conflict("A user named '" + name + "' exists already.")));
    }

    public Uni<Optional<UserView>> findUser(String id) {
        return guard.guard(pool.preparedQuery("SELECT " + USER_COLUMNS + " FROM gateway.users "
                        + "WHERE id = $1")
                .execute(Tuple.of(UUID.fromString(id)))
                .map(rows -> first(rows).map(AuthStore::user)));
    }

    public Uni<PageView<UserView>> listUsers(PageRequest page) {
        return guard.guard(pool.preparedQuery("SELECT " + USER_COLUMNS + ", count(*) OVER () "
                        + "FROM gateway.users ORDER BY name LIMIT $1 OFFSET $2")
                .execute(Tuple.of(page.perPage(), page.offset()))
                .chain(rows -> {
                    List<UserView> users = new ArrayList<>();
                    rows.forEach(r -> users.add(user(r)));
                    return total(rows, 8, "SELECT count(*) FROM gateway.users", Tuple.tuple())
                            .map(total -> PageView.of(users, page, total));
                }));
    }

    /** Ids of the user's keys, for evicting them from the cache. */
    public Uni<List<String>> keyIdsOf(String userId) {
        return guard.guard(pool.preparedQuery("SELECT id FROM gateway.api_keys WHERE user_id = $1")
                .execute(Tuple.of(UUID.fromString(userId)))
                .map(rows -> {
                    List<String> ids = new ArrayList<>();
                    rows.forEach(r -> ids.add(r.getString(0)));
                    return ids;
                }));
    }

    public Uni<Boolean> setUserLimits(String id, UserLimits limits) {
        return guard.guard(pool.preparedQuery("UPDATE gateway.users SET requests_per_minute = $2, "
                        + "tokens_per_minute = $3, max_key_days = $4 WHERE id = $1")
                .execute(Tuple.of(UUID.fromString(id), limits.requestsPerMinute(), limits.tokensPerMinute(),
                        limits.maxKeyDays()))
                .map(rows -> rows.rowCount() == 1));
    }

    public Uni<Boolean> setUserDisabled(String id, boolean disabled) {
        return guard.guard(pool.preparedQuery("UPDATE gateway.users SET disabled = $2 WHERE id = $1")
                .execute(Tuple.of(UUID.fromString(id), disabled)).map(rows -> rows.rowCount() == 1));
    }

    /** Deletes the user and, by cascade, its keys. */
    public Uni<Boolean> deleteUser(String id) {
        return guard.guard(pool.preparedQuery("DELETE FROM gateway.users WHERE id = $1")
                .execute(Tuple.of(UUID.fromString(id))).map(rows -> rows.rowCount() == 1));
    }

    /** The new key's view with {@code key} filled in: the only time the key exists outside the client. */
    public Uni<KeyView> createKey(UserView owner, String name, Instant expiresAt, int requestsPerMinute,
                                  long tokensPerMinute) {
        ApiKeyFormat.NewKey made = ApiKeyFormat.generate();
        Instant now = now();
        return guard.guard(pool.preparedQuery("INSERT INTO gateway.api_keys (id, user_id, name, hash, created_at, "
                        + "expires_at, requests_per_minute, tokens_per_minute) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                .execute(Tuple.from(new Object[]{made.id(), UUID.fromString(owner.id()), name,
                        io.vertx.core.buffer.Buffer.buffer(made.hash()), offset(now), offset(expiresAt),
                        requestsPerMinute, tokensPerMinute}))
                .map(ignored -> new KeyView(made.id(), name, owner.id(), owner.name(), now, expiresAt, null, null,
                        requestsPerMinute, tokensPerMinute, KeyView.status(expiresAt, null, now), made.key())));
    }

    public Uni<Optional<KeyView>> findKeyView(String id) {
        return guard.guard(pool.preparedQuery("SELECT " + KEY_COLUMNS + " FROM gateway.api_keys k "
                        + "JOIN gateway.users u ON u.id = k.user_id WHERE k.id = $1")
                .execute(Tuple.of(id))
                .map(rows -> first(rows).map(this::keyView)));
    }

    /** @param userId null for every user's keys */
    public Uni<PageView<KeyView>> listKeys(String userId, PageRequest page) {
        String where = userId == null ? "" : " WHERE k.user_id = $3";
        Tuple args = userId == null ? Tuple.of(page.perPage(), page.offset())
                : Tuple.of(page.perPage(), page.offset(), UUID.fromString(userId));
        return guard.guard(pool.preparedQuery("SELECT " + KEY_COLUMNS + ", count(*) OVER () FROM gateway.api_keys k "
                        + "JOIN gateway.users u ON u.id = k.user_id" + where
                        + " ORDER BY k.created_at, k.id LIMIT $1 OFFSET $2")
                .execute(args)
                .chain(rows -> {
                    List<KeyView> keys = new ArrayList<>();
                    rows.forEach(r -> keys.add(keyView(r)));
                    return userId == null
                            ? total(rows, 10, "SELECT count(*) FROM gateway.api_keys", Tuple.tuple())
                            .map(total -> PageView.of(keys, page, total))
                            : total(rows, 10, "SELECT count(*) FROM gateway.api_keys WHERE user_id = $1",
                            Tuple.of(UUID.fromString(userId)))
                            .map(total -> PageView.of(keys, page, total));
                }));
    }

    public Uni<Boolean> expireKey(String id, Instant at) {
        return guard.guard(pool.preparedQuery("UPDATE gateway.api_keys SET expires_at = $2 WHERE id = $1")
                .execute(Tuple.of(id, offset(at))).map(rows -> rows.rowCount() == 1));
    }

    /** Revoking twice keeps the first time. */
    public Uni<Boolean> revokeKey(String id) {
        return guard.guard(pool.preparedQuery("UPDATE gateway.api_keys SET revoked_at = coalesce(revoked_at, $2) "
                        + "WHERE id = $1")
                .execute(Tuple.of(id, offset(now()))).map(rows -> rows.rowCount() == 1));
    }

    /** The window's count when the page has rows; a separate count when it is past the end. */
    private Uni<Long> total(RowSet<Row> rows, int column, String countSql, Tuple args) {
        if (rows.iterator().hasNext()) {
            return Uni.createFrom().item(rows.iterator().next().getLong(column));
        }
        return pool.preparedQuery(countSql).execute(args).map(r -> r.iterator().next().getLong(0));
    }

    private KeyView keyView(Row r) {
        Instant expiresAt = instant(r.getOffsetDateTime(5));
        Instant revokedAt = instant(r.getOffsetDateTime(6));
        return new KeyView(r.getString(0), r.getString(1), r.getUUID(2).toString(), r.getString(3),
                instant(r.getOffsetDateTime(4)), expiresAt, revokedAt, instant(r.getOffsetDateTime(7)),
                r.getInteger(8), r.getLong(9), KeyView.status(expiresAt, revokedAt, now()), null);
    }

    private static UserView user(Row r) {
        return new UserView(r.getUUID(0).toString(), r.getString(1), r.getBoolean(2),
                instant(r.getOffsetDateTime(3)), r.getBoolean(4),
                new UserLimits(r.getInteger(5), r.getLong(6), r.getInteger(7)));
    }

    private static Optional<Row> first(RowSet<Row> rows) {
        var it = rows.iterator();
        return it.hasNext() ? Optional.of(it.next()) : Optional.empty();
    }

    private Instant now() {
        return clock.instant();
    }

    private static OffsetDateTime offset(Instant instant) {
        return instant == null ? null : instant.atOffset(ZoneOffset.UTC);
    }

    private static Instant instant(OffsetDateTime time) {
        return time == null ? null : time.toInstant();
    }
}
