package dev.gpufleet.scheduler.messaging;

import com.fasterxml.jackson.core.JsonParseException;
import dev.gpufleet.scheduler.leadership.LeaderFence;
import io.vertx.core.VertxException;
import io.vertx.core.impl.NoStackTraceTimeoutException;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;
import org.hibernate.HibernateException;
import org.hibernate.PropertyValueException;
import org.hibernate.exception.ConstraintViolationException;
import org.hibernate.exception.DataException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.ConnectException;
import java.sql.SQLException;
import java.util.concurrent.CompletionException;
import java.util.stream.Stream;

import static dev.gpufleet.scheduler.messaging.ApplyFailure.POISON;
import static dev.gpufleet.scheduler.messaging.ApplyFailure.TRANSIENT;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The exceptions Hibernate Reactive and the Vert.x PostgreSQL client raise, as they raise them. */
class ApplyFailureTest {

    private static PgException pg(String state, String message) {
        return new PgException(message, "ERROR", state, null);
    }

    /** How Hibernate Reactive hands a failed statement to the transaction's caller. */
    private static Throwable wrapped(Throwable cause) {
        return new CompletionException(new HibernateException("could not execute statement", cause));
    }

    static Stream<Arguments> failures() {
        return Stream.of(
                // the message's data or a constraint: dead-lettered after bounded retries
                Arguments.of("U+0000 in a text column", wrapped(pg("22021",
                        "invalid byte sequence for encoding \"UTF8\": 0x00")), POISON),
                Arguments.of("U+0000 in a jsonb value", wrapped(pg("22P05", "unsupported Unicode escape sequence")),
                        POISON),
                Arguments.of("a number out of range", pg("22003", "integer out of range"), POISON),
                Arguments.of("a value too long", pg("22001", "value too long for type character varying(8)"), POISON),
                Arguments.of("a unique violation", wrapped(pg("23505", "duplicate key value violates unique"
                        + " constraint")), POISON),
                Arguments.of("a check violation", pg("23514", "new row violates check constraint"), POISON),
                Arguments.of("a not-null violation", pg("23502", "null value in column violates not-null"), POISON),
                Arguments.of("an index row too large", pg("54000", "index row size exceeds btree maximum"), POISON),
                Arguments.of("Hibernate's data exception around a JDBC state",
                        new DataException("could not execute", new SQLException("bad", "22007")), POISON),
                Arguments.of("Hibernate's constraint exception around a JDBC state",
                        new ConstraintViolationException("dup", new SQLException("dup", "23505"), "uk"), POISON),
                Arguments.of("a not-null property", new CompletionException(new PropertyValueException(
                        "not-null property references a null value", "Model", "name")), POISON),
                Arguments.of("this service's code fails on the message", wrapped(new NullPointerException()), POISON),
                Arguments.of("a payload that does not serialise", wrapped(new JsonParseException(null, "bad")),
                        POISON),
                // the database away or busy: retried for as long as it takes
                Arguments.of("a serialization failure", pg("40001", "could not serialize access"), TRANSIENT),
                Arguments.of("a deadlock", wrapped(pg("40P01", "deadlock detected")), TRANSIENT),
                Arguments.of("too many connections", pg("53300", "sorry, too many clients already"), TRANSIENT),
                Arguments.of("out of disk", pg("53100", "could not extend file"), TRANSIENT),
                Arguments.of("an administrator's shutdown", pg("57P01", "terminating connection due to"
                        + " administrator command"), TRANSIENT),
                Arguments.of("starting up", pg("57P03", "the database system is starting up"), TRANSIENT),
                Arguments.of("a statement timeout", pg("57014", "canceling statement due to statement timeout"),
                        TRANSIENT),
                Arguments.of("a lock timeout", pg("55P03", "canceling statement due to lock timeout"), TRANSIENT),
                Arguments.of("a standby after failover", pg("25006", "cannot execute UPDATE in a read-only"
                        + " transaction"), TRANSIENT),
                Arguments.of("an idle transaction ended", pg("25P03", "terminating connection due to idle-in-"
                        + "transaction timeout"), TRANSIENT),
                Arguments.of("a connection failure", pg("08006", "connection failure"), TRANSIENT),
                Arguments.of("a missing table: the deployment, not the message", pg("42P01", "relation does not"
                        + " exist"), TRANSIENT),
                Arguments.of("no privilege", pg("42501", "permission denied for table"), TRANSIENT),
                Arguments.of("a lost connection", wrapped(ClosedConnectionException.INSTANCE), TRANSIENT),
                Arguments.of("connection refused", wrapped(new ConnectException("Connection refused")), TRANSIENT),
                Arguments.of("waiting for a pooled connection", new CompletionException(
                        new NoStackTraceTimeoutException("Timeout")), TRANSIENT),
                Arguments.of("the pool's connect timeout", new VertxException("Timeout waiting for connection"),
                        TRANSIENT),
                Arguments.of("a JDBC connection error state", new SQLException("I/O error", "08006"), TRANSIENT),
                Arguments.of("this scheduler stopped leading mid-transaction", wrapped(
                        new LeaderFence.Superseded("superseded")), TRANSIENT),
                Arguments.of("nothing known", new IllegalStateException("Session closed"), TRANSIENT));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("failures")
    void classifies(String what, Throwable failure, ApplyFailure expected) {
        assertEquals(expected, ApplyFailure.of(failure));
    }

    @Test
    void describesTheServersErrorWithoutTheRow() {
        assertEquals("SQLSTATE 22021: invalid byte sequence for encoding \"UTF8\": 0x00",
                ApplyFailure.describe(wrapped(pg("22021", "invalid byte sequence for encoding \"UTF8\": 0x00"))));
        assertEquals("SQLSTATE 23505: SQLException: dup",
                ApplyFailure.describe(new ConstraintViolationException("dup", new SQLException("dup", "23505"), "uk")));
        assertEquals("ConnectException: Connection refused",
                ApplyFailure.describe(wrapped(new ConnectException("Connection refused"))));
    }
}
