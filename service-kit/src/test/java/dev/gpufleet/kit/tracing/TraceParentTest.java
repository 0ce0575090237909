package dev.gpufleet.kit.tracing;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

class TraceParentTest {
    private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String SPAN = "00f067aa0ba902b7";

    @Test
    void aRecordedSpanIsWrittenAsW3cAndReadBack() {
        SpanContext span = SpanContext.create(TRACE, SPAN, TraceFlags.getSampled(), TraceState.getDefault());
        String value = TraceParent.of(span);
        assertEquals("00-" + TRACE + "-" + SPAN + "-01", value);
        SpanContext parent = Span.fromContext(TraceParent.parentFrom(value)).getSpanContext();
        assertEquals(TRACE, parent.getTraceId());
        assertEquals(SPAN, parent.getSpanId());
        assertEquals(true, parent.isRemote());
    }

    @Test
    void withoutARecordedSpanThereIsNothingToCarry() {
        assertNull(TraceParent.of(SpanContext.getInvalid()));
        assertNull(TraceParent.current(), "no span is current outside traced work");
    }

    /** What a header may hold that is no traceparent: the work starts a trace of its own. */
    @Test
    void aMissingOrMalformedValueGivesNoParent() {
        String[] bad = {null, "", "garbage", "01-" + TRACE + "-" + SPAN + "-01", "00-" + TRACE + "-" + SPAN,
                "00-" + TRACE.toUpperCase() + "-" + SPAN + "-01", "00-00000000000000000000000000000000-" + SPAN + "-01",
                "00-" + TRACE + "-0000000000000000-01"};
        for (String value : bad) {
            assertFalse(Span.fromContext(TraceParent.parentFrom(value)).getSpanContext().isValid(), value);
        }
    }

    @Test
    void readsTheHeaderOfAKafkaRecord() {
        RecordHeaders headers = new RecordHeaders();
        assertNull(TraceParent.fromHeaders(headers));
        String value = "00-" + TRACE + "-" + SPAN + "-01";
        headers.add(TraceParent.HEADER, value.getBytes(StandardCharsets.ISO_8859_1));
        assertEquals(value, TraceParent.fromHeaders(headers));
    }
}
