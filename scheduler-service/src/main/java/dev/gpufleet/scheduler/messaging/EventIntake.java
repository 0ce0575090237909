package dev.gpufleet.scheduler.messaging;

import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.EventPayload;
import dev.gpufleet.kit.kafka.DeadLetterPublisher;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/** What every consumer of this service does with a record before and while applying it. */
@ApplicationScoped
public class EventIntake {
    private static final Logger LOG = Logger.getLogger(EventIntake.class);
    private static final Duration FIRST_RETRY = Duration.ofMillis(200);
    private static final Duration MAX_RETRY = Duration.ofSeconds(10);

    private final DeadLetterPublisher deadLetters;

    public EventIntake(DeadLetterPublisher deadLetters) {
        this.deadLetters = deadLetters;
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
     * Runs {@code work} in one transaction, retrying with backoff until it commits. Payloads are validated before
     * this, so what fails here is the database being away; skipping the message instead would lose it, and
     * failing the channel would stop consuming for good. Kafka offsets are committed only after the returned Uni
     * completes.
     */
    public <T> Uni<T> inTransaction(String what, Supplier<Uni<T>> work) {
        Context context = Vertx.currentContext();
        // each retry must run on the message's Vert.x context again: Hibernate Reactive sessions live there
        Executor onContext = context == null ? Runnable::run : task -> context.runOnContext(ignored -> task.run());
        return Uni.createFrom().voidItem()
                .emitOn(onContext)
                .chain(() -> Panache.withTransaction(work))
                .onFailure().invoke(e -> LOG.warnf("%s failed, retrying: %s", what, e.toString()))
                .onFailure().retry().withBackOff(FIRST_RETRY, MAX_RETRY).indefinitely();
    }
}
