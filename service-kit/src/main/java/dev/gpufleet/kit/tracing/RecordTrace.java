package dev.gpufleet.kit.tracing;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * The work a consumer does with a Kafka record, as a span that continues the trace the record carries in its
 * {@code traceparent} header (put there from the outbox row by the producing service's relay). A record without
 * one (written untraced, or tracing is off) gets no span: a consumer's replay of a topic is not made into traces of
 * its own.
 */
public final class RecordTrace {
    private RecordTrace() {
    }

    /**
     * A started CONSUMER span named {@code name}, a child of the span the record names; null when the record names
     * none or tracing is off. The caller ends it.
     */
    public static Span start(Tracer tracer, ConsumerRecord<?, ?> record, String name) {
        Context parent = TraceParent.parentFrom(TraceParent.fromHeaders(record.headers()));
        if (!Span.fromContext(parent).getSpanContext().isValid()) {
            return null;
        }
        Span span = tracer.spanBuilder(name).setParent(parent).setSpanKind(SpanKind.CONSUMER)
                .setAttribute("messaging.system", "kafka")
                .setAttribute("messaging.destination.name", record.topic())
                .setAttribute("messaging.destination.partition.id", String.valueOf(record.partition()))
                .setAttribute("messaging.kafka.offset", record.offset())
                .startSpan();
        if (record.key() != null) {
            span.setAttribute("messaging.kafka.message.key", String.valueOf(record.key()));
        }
        return span.getSpanContext().isValid() ? span : null;
    }
}
