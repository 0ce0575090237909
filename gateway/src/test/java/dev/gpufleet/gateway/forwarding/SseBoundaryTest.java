package dev.gpufleet.gateway.forwarding;

import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Where a relayed stream stands between SSE events, and the error event that ends a stream broken off. */
class SseBoundaryTest {

    private static int after(String... pieces) {
        int lastBytes = SseBoundary.NOTHING_RELAYED;
        for (String piece : pieces) {
            lastBytes = SseBoundary.after(lastBytes, Buffer.buffer(piece));
        }
        return lastBytes;
    }

    @Test
    void aStreamThatSentNothingIsBetweenEvents() {
        assertTrue(SseBoundary.atEventBoundary(SseBoundary.NOTHING_RELAYED));
        assertEquals("data: {}\n\n", SseBoundary.event(SseBoundary.NOTHING_RELAYED, "{}"));
    }

    @Test
    void anEventEndsWithABlankLineInLfOrCrLf() {
        assertTrue(SseBoundary.atEventBoundary(after("data: {\"a\":1}\n\n")));
        assertTrue(SseBoundary.atEventBoundary(after("data: {\"a\":1}\r\n\r\n")));
        assertFalse(SseBoundary.atEventBoundary(after("data: {\"a\":1}\n")));
        assertFalse(SseBoundary.atEventBoundary(after("data: {\"a\":1}\r\n")));
        assertFalse(SseBoundary.atEventBoundary(after("data: {\"a\":1}")));
    }

    @Test
    void theLastBytesCarryOverPiecesOfAnyLength() {
        assertTrue(SseBoundary.atEventBoundary(after("data: {\"a\":1}\n", "\n")));
        assertTrue(SseBoundary.atEventBoundary(after("data: x\r", "\n", "\r", "\n")));
        assertTrue(SseBoundary.atEventBoundary(after("data: x\n\n", "")));
        assertFalse(SseBoundary.atEventBoundary(after("data: x\n\n", "data: y")));
    }

    @Test
    void anErrorEventInsideAnEventEndsThatEventFirst() {
        assertEquals("\n\ndata: {\"error\":{}}\n\n", SseBoundary.event(after("data: {\"a\""), "{\"error\":{}}"));
        assertEquals("data: {\"error\":{}}\n\n", SseBoundary.event(after("data: {}\n\n"), "{\"error\":{}}"));
    }
}
