package dev.gpufleet.gateway.health;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.ConnectTimeoutException;
import io.smallrye.mutiny.Uni;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;
import org.junit.jupiter.api.Test;

import java.net.ConnectException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DatabaseGuardTest {
    record Case(Throwable failure, boolean unreachable) {
    }

    @Test
    void noAnswerAndNoConnectionAreUnreachableAnErrorAnswerIsNot() {
        List<Case> cases = List.of(
                new Case(new TimeoutException("deadline"), true),
                new Case(new ConnectException("Connection refused"), true),
                new Case(new ConnectTimeoutException("connect timed out"), true),
                new Case(ClosedConnectionException.INSTANCE, true),
                new Case(new CompletionException(new ConnectException("refused")), true),
                new Case(new PgException("duplicate key", "ERROR", "23505", "detail"), false),
                new Case(new IllegalArgumentException("a bug"), false));
        for (Case c : cases) {
            assertEquals(c.unreachable(), DatabaseGuard.unreachable(c.failure()), c.failure().toString());
        }
    }

    @Test
    void aCallThatDoesNotAnswerFailsAtItsDeadlineAndMarksTheDatabaseAway() {
        ControlPlaneState state = new ControlPlaneState(new SimpleMeterRegistry());
        DatabaseGuard guard = new DatabaseGuard(state, Duration.ofMillis(100));
        long started = System.nanoTime();
        Throwable failure = assertThrows(DatabaseUnavailable.class,
                () -> guard.guard(Uni.createFrom().nothing()).await().atMost(Duration.ofSeconds(5)));
        assertTrue(System.nanoTime() - started < Duration.ofSeconds(3).toNanos());
        assertInstanceOf(TimeoutException.class, failure.getCause());
        assertFalse(guard.available());
        assertTrue(state.databaseProblem().contains("did not answer"), state.databaseProblem());

        assertEquals("ok", guard.guard(Uni.createFrom().item("ok")).await().indefinitely());
        assertTrue(guard.available(), "an answer marks it reachable again");

        PgException constraint = new PgException("duplicate key", "ERROR", "23505", "detail");
        assertSame(constraint, assertThrows(PgException.class,
                () -> guard.guard(Uni.createFrom().failure(constraint)).await().indefinitely()));
        assertTrue(guard.available(), "an error answer is an answer");
    }
}
