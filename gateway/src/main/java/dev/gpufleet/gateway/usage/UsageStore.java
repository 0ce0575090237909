package dev.gpufleet.gateway.usage;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.Date;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Table {@code gateway.usage_daily}: counts are added to (upsert), never replaced, so writes can be batched. Each
 * batch is written with its id into {@code gateway.usage_batches} in the same transaction, so a batch sent again
 * after an unanswered commit is counted once. Every statement has a deadline (the connection's network timeout):
 * a database that stops answering fails the write rather than holding it for ever.
 */
public final class UsageStore {
    private static final String MARK_BATCH = "INSERT INTO gateway.usage_batches (id) VALUES (?) "
            + "ON CONFLICT (id) DO NOTHING";
    private static final String PRUNE_BATCHES = "DELETE FROM gateway.usage_batches "
            + "WHERE written_at < now() - interval '1 day'";
    private static final String UPSERT = "INSERT INTO gateway.usage_daily AS u (key_id, model, day, prompt_tokens, "
            + "completion_tokens, requests) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key_id, model, day) DO UPDATE SET "
            + "prompt_tokens = u.prompt_tokens + EXCLUDED.prompt_tokens, "
            + "completion_tokens = u.completion_tokens + EXCLUDED.completion_tokens, "
            + "requests = u.requests + EXCLUDED.requests";
    private static final String FILTER = " WHERE (CAST(? AS text) IS NULL OR key_id = ?)"
            + " AND (CAST(? AS text) IS NULL OR model = ?)"
            + " AND (CAST(? AS date) IS NULL OR day >= ?) AND (CAST(? AS date) IS NULL OR day <= ?)"
            + " AND (CAST(? AS uuid) IS NULL OR key_id IN (SELECT id FROM gateway.api_keys WHERE user_id = ?))";

    /** One row of {@code /api/v1/usage}. */
    public record Row(UsageKey key, UsageCounts counts) {
    }

    /**
     * The filters of {@code /api/v1/usage}; null = any. Days inclusive. {@code userId}: only the keys that user owns
     * now (a user's own usage).
     */
    public record Query(String keyId, String model, LocalDate from, LocalDate to, UUID userId) {
        public Query(String keyId, String model, LocalDate from, LocalDate to) {
            this(keyId, model, from, to, null);
        }
    }

    private final DataSource dataSource;
    private final int timeoutMillis;

    public UsageStore(DataSource dataSource) {
        this(dataSource, Duration.ofSeconds(30));
    }

    /** @param timeout how long one statement may wait for the database */
    public UsageStore(DataSource dataSource, Duration timeout) {
        this.dataSource = dataSource;
        this.timeoutMillis = Math.toIntExact(Math.max(1, timeout.toMillis()));
    }

    /**
     * Adds all of these in one transaction, as batch {@code batchId}: either every row is counted or none, and a
     * batch already written is not counted again.
     *
     * @return false if the batch had been written before (nothing was added now)
     */
    public boolean add(UUID batchId, Map<UsageKey, UsageCounts> counts) throws SQLException {
        if (counts.isEmpty()) {
            return true;
        }
        try (Connection connection = connection()) {
            connection.setAutoCommit(false);
            try (PreparedStatement mark = connection.prepareStatement(MARK_BATCH);
                 PreparedStatement upsert = connection.prepareStatement(UPSERT)) {
                mark.setObject(1, batchId);
                if (mark.executeUpdate() == 0) {
                    connection.rollback();
                    return false;
                }
                for (Map.Entry<UsageKey, UsageCounts> e : counts.entrySet()) {
                    upsert.setString(1, e.getKey().keyId());
                    upsert.setString(2, e.getKey().model());
                    upsert.setDate(3, Date.valueOf(e.getKey().day()));
                    upsert.setLong(4, e.getValue().promptTokens());
                    upsert.setLong(5, e.getValue().completionTokens());
                    upsert.setLong(6, e.getValue().requests());
                    upsert.addBatch();
                }
                upsert.executeBatch();
                connection.commit();
                return true;
            } catch (SQLException e) {
                rollbackQuietly(connection);
                throw e;
            }
        }
    }

    /** Forgets the ids of batches written more than a day ago: a batch is sent again within minutes, not days. */
    public void pruneBatchIds() throws SQLException {
        try (Connection connection = connection(); PreparedStatement prune = connection.prepareStatement(
                PRUNE_BATCHES)) {
            prune.executeUpdate();
        }
    }

    private Connection connection() throws SQLException {
        Connection connection = dataSource.getConnection();
        try {
            connection.setNetworkTimeout(Runnable::run, timeoutMillis);
        } catch (SQLException | RuntimeException e) {
            connection.close();
            throw e;
        }
        return connection;
    }

    private static void rollbackQuietly(Connection connection) {
        try {
            connection.rollback();
        } catch (SQLException ignored) {
            // the connection is broken: the transaction is gone with it
        }
    }

    public long count(Query query) throws SQLException {
        try (Connection connection = connection();
             PreparedStatement select = connection.prepareStatement(
                     "SELECT count(*) FROM gateway.usage_daily" + FILTER)) {
            bind(select, query);
            try (ResultSet rows = select.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        }
    }

    /** Oldest day first, then by key and model. */
    public List<Row> find(Query query, long offset, int limit) throws SQLException {
        try (Connection connection = connection();
             PreparedStatement select = connection.prepareStatement("SELECT key_id, model, day, prompt_tokens, "
                     + "completion_tokens, requests FROM gateway.usage_daily" + FILTER
                     + " ORDER BY day, key_id, model LIMIT ? OFFSET ?")) {
            int next = bind(select, query);
            select.setInt(next, limit);
            select.setLong(next + 1, offset);
            List<Row> found = new ArrayList<>();
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    found.add(new Row(new UsageKey(rows.getString(1), rows.getString(2),
                            rows.getDate(3).toLocalDate()),
                            new UsageCounts(rows.getLong(4), rows.getLong(5), rows.getLong(6))));
                }
            }
            return found;
        }
    }

    private static int bind(PreparedStatement statement, Query query) throws SQLException {
        statement.setString(1, query.keyId());
        statement.setString(2, query.keyId());
        statement.setString(3, query.model());
        statement.setString(4, query.model());
        statement.setDate(5, query.from() == null ? null : Date.valueOf(query.from()));
        statement.setDate(6, query.from() == null ? null : Date.valueOf(query.from()));
        statement.setDate(7, query.to() == null ? null : Date.valueOf(query.to()));
        statement.setDate(8, query.to() == null ? null : Date.valueOf(query.to()));
        statement.setObject(9, query.userId());
        statement.setObject(10, query.userId());
        return 11;
    }
}
