package dev.gpufleet.worker.instances;

import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.InstanceDeleted;
import dev.gpufleet.kit.kafka.DeadLetterPublisher;
import dev.gpufleet.kit.tracing.RecordTrace;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.MDC;

/**
 * Feeds {@code gpufleet.instances} to the supervisor. The topic is read from its beginning on every start (see
 * application.properties), so the agent always knows the desired state of every instance, also after a restart.
 *
 * <p>A record the scheduler wrote under a trace (a placement that followed a traced model change) is handed over in
 * a span {@code instance <state>} continuing that trace; the agent's log lines meanwhile carry the instance's id
 * ({@code instanceId} in the MDC, a field of JSON logs).
 */
@ApplicationScoped
public class InstanceFeed {
    private final Supervision supervision;
    private final DeadLetterPublisher deadLetters;
    private final Tracer tracer;

    public InstanceFeed(Supervision supervision, DeadLetterPublisher deadLetters, Tracer tracer) {
        this.supervision = supervision;
        this.deadLetters = deadLetters;
        this.tracer = tracer;
    }

    @Incoming("instances")
    public void onInstance(ConsumerRecord<String, String> record) {
        Span span = RecordTrace.start(tracer, record, "instance " + (record.value() == null ? "tombstone" : "change"));
        if (record.key() != null) {
            MDC.put("instanceId", record.key());
        }
        try (Scope ignored = span == null ? null : span.makeCurrent()) {
            apply(record);
        } finally {
            MDC.remove("instanceId");
            if (span != null) {
                span.end();
            }
        }
    }

    private void apply(ConsumerRecord<String, String> record) {
        try {
            if (record.value() == null) {
                if (record.key() != null) {
                    supervision.supervisor().tombstone(record.key());
                }
                return;
            }
            deadLetters.decode(record).ifPresent(envelope -> {
                if (envelope.payload() instanceof InstanceChanged changed) {
                    Span.current().updateName("instance " + changed.state());
                    Span.current().setAttribute("gpufleet.instance_id", changed.instanceId());
                    supervision.supervisor().accept(envelope);
                } else if (envelope.payload() instanceof InstanceDeleted) {
                    supervision.supervisor().accept(envelope);
                } else {
                    deadLetters.deadLetter(record, envelope.type() + " does not belong on " + record.topic());
                }
            });
        } catch (RuntimeException e) {
            // a throw would stop the channel for good
            deadLetters.deadLetter(record, "could not apply: " + e);
        }
    }
}
