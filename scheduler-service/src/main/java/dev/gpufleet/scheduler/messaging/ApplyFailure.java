package dev.gpufleet.scheduler.messaging;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.gpufleet.scheduler.leadership.LeaderFence;
import io.vertx.core.VertxException;
import io.vertx.sqlclient.ClosedConnectionException;
import io.vertx.sqlclient.DatabaseException;
import io.vertx.sqlclient.TransactionRollbackException;
import org.hibernate.JDBCException;
import org.hibernate.PropertyValueException;

import java.io.IOException;
import java.sql.SQLException;
import java.time.DateTimeException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeoutException;

/**
 * Why applying a valid message in its transaction failed, which decides what {@link EventIntake} does with it.
 * A pure function of the exception (its cause chain), so a table of real exceptions tests it.
 */
public enum ApplyFailure {
    /**
     * Not the message's fault: the database is away or busy (connection errors, pool exhaustion, timeouts,
     * serialization failures and deadlocks, a server shutting down or in recovery) or the deployment is wrong (a
     * missing table, a privilege). Retried with backoff for as long as it takes; skipping would lose the message.
     */
    TRANSIENT,
    /**
     * The message itself cannot be stored: PostgreSQL refuses its data (SQLSTATE class 22, e.g. U+0000 in a text
     * or jsonb value), it breaks a constraint (class 23), it exceeds a limit of the server's (class 54, e.g. a value
     * too large for an index row), or this service's code fails on it. Retried a few times, then dead-lettered,
     * so that the partition moves on.
     */
    POISON;

    /** SQLSTATE classes whose errors are caused by the data being written. */
    private static final List<String> POISON_CLASSES = List.of("22", "23", "54");

    public static ApplyFailure of(Throwable failure) {
        List<Throwable> chain = chain(failure);
        if (chain.stream().anyMatch(LeaderFence.Superseded.class::isInstance)) {
            // this scheduler stopped leading mid-transaction: the message is fine, the next attempt follows
            return TRANSIENT;
        }
        Optional<String> state = sqlState(failure);
        if (state.isPresent()) {
            return ofSqlState(state.get());
        }
        // the innermost cause that says anything decides
        for (int i = chain.size() - 1; i >= 0; i--) {
            Throwable t = chain.get(i);
            if (isDatabaseAway(t)) {
                return TRANSIENT;
            }
            if (failsOnTheMessage(t)) {
                return POISON;
            }
        }
        return TRANSIENT;
    }

    /** By SQLSTATE: classes 22, 23 and 54 are the message's; every other class is the database's or the deployment's. */
    public static ApplyFailure ofSqlState(String sqlState) {
        return sqlState != null && sqlState.length() == 5 && POISON_CLASSES.contains(sqlState.substring(0, 2))
                ? POISON : TRANSIENT;
    }

    /** The SQLSTATE of the innermost database error in the chain, if there is one. */
    public static Optional<String> sqlState(Throwable failure) {
        List<Throwable> chain = chain(failure);
        for (int i = chain.size() - 1; i >= 0; i--) {
            String state = stateOf(chain.get(i));
            if (state != null && state.length() == 5) {
                return Optional.of(state);
            }
        }
        return Optional.empty();
    }

    /** What to write in a dead letter and a log line: the SQLSTATE and the server's message, never the row. */
    public static String describe(Throwable failure) {
        List<Throwable> chain = chain(failure);
        for (int i = chain.size() - 1; i >= 0; i--) {
            if (chain.get(i) instanceof io.vertx.pgclient.PgException pg) {
                return "SQLSTATE " + pg.getSqlState() + ": " + pg.getErrorMessage();
            }
        }
        Throwable root = chain.get(chain.size() - 1);
        Optional<String> state = sqlState(failure);
        return state.map(s -> "SQLSTATE " + s + ": ").orElse("") + root.getClass().getSimpleName()
                + (root.getMessage() == null ? "" : ": " + root.getMessage());
    }

    private static String stateOf(Throwable t) {
        if (t instanceof DatabaseException db) {
            return db.getSqlState();
        }
        if (t instanceof SQLException sql) {
            return sql.getSQLState();
        }
        if (t instanceof JDBCException jdbc) {
            return jdbc.getSQLException() == null ? null : jdbc.getSQLState();
        }
        return null;
    }

    private static boolean isDatabaseAway(Throwable t) {
        if (t instanceof JsonProcessingException) {
            return false; // an IOException by descent, but it is about the payload
        }
        return t instanceof IOException // connection refused or reset, TLS, a closed channel
                || t instanceof TimeoutException // waiting for a pooled connection, a connect timeout
                || t instanceof ClosedConnectionException
                || t instanceof TransactionRollbackException
                || (t instanceof VertxException && !(t instanceof DatabaseException)) // "Timeout waiting for connection", "Pool closed"
                || t.getClass().getName().startsWith("io.netty.");
    }

    /** Failures of this service's code or mapping that the same message causes every time. */
    private static boolean failsOnTheMessage(Throwable t) {
        return t instanceof NullPointerException
                || t instanceof IllegalArgumentException
                || t instanceof ClassCastException
                || t instanceof ArithmeticException
                || t instanceof IndexOutOfBoundsException
                || t instanceof DateTimeException
                || t instanceof JsonProcessingException
                || t instanceof PropertyValueException;
    }

    private static List<Throwable> chain(Throwable failure) {
        List<Throwable> chain = new ArrayList<>();
        for (Throwable t = failure; t != null && !chain.contains(t) && chain.size() < 32; t = t.getCause()) {
            chain.add(t);
        }
        return chain;
    }
}
