package dev.gpufleet.scheduler.messaging;

import dev.gpufleet.scheduler.persistence.Transactions;
import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.EventPayload;
import dev.gpufleet.kit.kafka.DeadLetterPublisher;
import dev.gpufleet.kit.tracing.RecordTrace;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.common.vertx.VertxContext;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.function.Function;
import java.util.function.Supplier;

/** What every consumer of this service does with a record before and while applying it. */
@ApplicationScoped
public class EventIntake {
    private static final Logger LOG = Logger.getLogger(EventIntake.class);
    private static final Duration FIRST_RETRY = Duration.ofMillis(200);
    private static final Duration MAX_RETRY = Duration.ofSeconds(10);
    /** Attempts in all for a message the database refuses, before it is dead-lettered. */
    static final int POISON_ATTEMPTS = 3;
    private static final Duration POISON_RETRY = Duration.ofMillis(200);

    private final DeadLetterPublisher deadLetters;
    private final Tracer tracer;

    public EventIntake(DeadLetterPublisher deadLetters, Tracer tracer) {
        this.deadLetters = deadLetters;
        this.tracer = tracer;
    }

    /**
     * @return the event if it decodes and its payload is of the expected type; empty for a tombstone, or for a
     *         message that was dead-lettered
     */
    public <P extends EventPayload> Optional<Envelope<P>> accept(ConsumerRecord<String, String> record,
                                                                Class<P> expected) {
        Optional<Envelope<EventPayload>> decoded = deadLetters.decode(record);
        if (decoded.isEmpty()) {
            return Optional.empty();
        }
        Envelope<EventPayload> envelope = decoded.get();
        if (!expected.isInstance(envelope.payload())) {
            reject(record, envelope.type() + " does not belong on " + record.topic() + "; expected "
                    + expected.getSimpleName());
            return Optional.empty();
        }
        @SuppressWarnings("unchecked")
        Envelope<P> typed = (Envelope<P>) envelope;
        return Optional.of(typed);
    }

    /** Dead-letters a message that decodes but cannot be applied (the error says why). */
    public void reject(ConsumerRecord<String, String> record, String error) {
        deadLetters.deadLetter(record, error);
    }

    /**
     * Runs {@code work} in one transaction until it commits, and says what to do when it does not
     * ({@link ApplyFailure}): while the database is away the message is retried with backoff (200 ms up to 10 s)
     * for as long as it takes, since skipping it would lose it and failing the channel would stop consuming for
     * good; a message the database refuses (its data or a constraint) is retried {@value #POISON_ATTEMPTS} times in
     * all and then dead-lettered, so that the partition moves on. Kafka offsets are committed only after the
     * returned Uni completes.
     *
     * @return what {@code work} returned; false when the message was dead-lettered
     */
    public Uni<Boolean> inTransaction(ConsumerRecord<String, String> record, String what,
                                      Supplier<Uni<Boolean>> work) {
        return inTransaction(record, what, work, false);
    }

    /** As {@link #inTransaction(ConsumerRecord, String, Supplier)}; {@code deadLettered} is the answer for a message dead-lettered. */
    public <T> Uni<T> inTransaction(ConsumerRecord<String, String> record, String what, Supplier<Uni<T>> work,
                                    T deadLettered) {
        Span span = traced(record, what);
        Uni<T> applied = inTransaction(what, work, why -> {
            reject(record, what + " failed " + POISON_ATTEMPTS + " times: " + why);
            return Uni.createFrom().item(deadLettered);
        });
        return span == null ? applied : applied.onTermination().invoke((item, failure, cancelled) -> {
            if (failure != null) {
                span.recordException(failure);
                span.setStatus(StatusCode.ERROR);
            }
            span.end();
        });
    }

    /**
     * The span of applying a record that carries a trace (a model change made under a traced request, an
     * observation of a traced start), made current on the message's own Vert.x context: what the work writes to the
     * outbox carries it on ({@code OutboxWriter}), so the agent's start joins the trace. That context is the
     * message's alone (a duplicated context) and ends with it, so the span is not taken off it again; on any other
     * context it would outlive the message, and is not made current there. Null when there is no trace.
     */
    private Span traced(ConsumerRecord<String, String> record, String what) {
        Span span = RecordTrace.start(tracer, record, what);
        Context context = Vertx.currentContext();
        if (span != null && context != null && VertxContext.isDuplicatedContext(context)) {
            @SuppressWarnings({"resource", "unused"})
            var scope = io.opentelemetry.context.Context.current().with(span).makeCurrent();
        }
        return span;
    }

    /**
     * As {@link #inTransaction(ConsumerRecord, String, Supplier)} for work that applies several records at once:
     * when the database refuses it {@value #POISON_ATTEMPTS} times, {@code whenRefused} decides (given why), for
     * instance by applying the records one by one so that only the one at fault is dead-lettered.
     */
    public <T> Uni<T> inTransaction(String what, Supplier<Uni<T>> work, Function<String, Uni<T>> whenRefused) {
        Context context = Vertx.currentContext();
        // each attempt must run on the message's Vert.x context again: Hibernate Reactive sessions live there
        Executor onContext = context == null ? Runnable::run : task -> context.runOnContext(ignored -> task.run());
        return attempt(what, work, whenRefused, onContext, 0, FIRST_RETRY);
    }

    private <T> Uni<T> attempt(String what, Supplier<Uni<T>> work, Function<String, Uni<T>> whenRefused,
                               Executor onContext, int refusals, Duration backoff) {
        return Uni.createFrom().voidItem()
                .emitOn(onContext)
                .chain(() -> Transactions.run(work))
                .onFailure().recoverWithUni(e -> {
                    ApplyFailure kind = ApplyFailure.of(e);
                    String why = ApplyFailure.describe(e);
                    if (kind == ApplyFailure.POISON && refusals + 1 >= POISON_ATTEMPTS) {
                        LOG.errorf("%s failed %d times, the database refuses it: %s", what, POISON_ATTEMPTS, why);
                        return whenRefused.apply(why);
                    }
                    if (kind == ApplyFailure.POISON) {
                        LOG.warnf("%s failed (attempt %d of %d before the dead letter): %s", what, refusals + 1,
                                POISON_ATTEMPTS, why);
                        return Uni.createFrom().voidItem().onItem().delayIt().by(POISON_RETRY)
                                .chain(() -> attempt(what, work, whenRefused, onContext, refusals + 1, backoff));
                    }
                    LOG.warnf("%s failed, retrying in %d ms while the database is away: %s", what, backoff.toMillis(),
                            why);
                    Duration next = backoff.multipliedBy(2).compareTo(MAX_RETRY) > 0 ? MAX_RETRY
                            : backoff.multipliedBy(2);
                    return Uni.createFrom().voidItem().onItem().delayIt().by(backoff)
                            .chain(() -> attempt(what, work, whenRefused, onContext, refusals, next));
                });
    }
}
