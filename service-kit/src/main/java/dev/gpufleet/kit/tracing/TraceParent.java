package dev.gpufleet.kit.tracing;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Context;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * The W3C {@code traceparent} value ({@code 00-<32 hex trace id>-<16 hex span id>-<2 hex flags>}) that carries a
 * trace from one service to the next: in an outbox row, in a Kafka record's headers, in a request to a backend.
 * Only a span that is really recorded gives one; with tracing off ({@code quarkus.otel.sdk.disabled=true}) every
 * span is invalid and nothing is written or sent.
 */
public final class TraceParent {
    /** The header name, in Kafka records and HTTP requests alike. */
    public static final String HEADER = "traceparent";
    private static final Pattern FORMAT = Pattern.compile("00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})");

    private TraceParent() {
    }

    /** The current span's traceparent, or null when there is no recorded span. */
    public static String current() {
        return of(Span.current().getSpanContext());
    }

    /** The span's traceparent, or null for an invalid (not recorded) span. */
    public static String of(SpanContext span) {
        if (span == null || !span.isValid()) {
            return null;
        }
        return "00-" + span.getTraceId() + "-" + span.getSpanId() + "-" + span.getTraceFlags().asHex();
    }

    /**
     * The remote span a traceparent names, as the parent of the work that continues it; the root context for a
     * missing or malformed value (the work then starts a trace of its own).
     */
    public static Context parentFrom(String traceParent) {
        if (traceParent == null) {
            return Context.root();
        }
        var m = FORMAT.matcher(traceParent.trim());
        if (!m.matches()) {
            return Context.root();
        }
        SpanContext remote = SpanContext.createFromRemoteParent(m.group(1), m.group(2),
                TraceFlags.fromByte((byte) Integer.parseInt(m.group(3), 16)), TraceState.getDefault());
        return remote.isValid() ? Context.root().with(Span.wrap(remote)) : Context.root();
    }

    /** The traceparent a Kafka record carries (the last one, if several), or null. */
    public static String fromHeaders(Headers headers) {
        if (headers == null) {
            return null;
        }
        Header header = headers.lastHeader(HEADER);
        return header == null || header.value() == null ? null
                : new String(header.value(), StandardCharsets.ISO_8859_1);
    }
}
