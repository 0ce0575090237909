package dev.gpufleet.gateway.forwarding;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The bytes the gateway sends a backend: request line, headers and body, and what is refused or left out. */
class BackendRequestHeadTest {
    private static final byte[] FIXED = BackendRequestHead.fixedHeaders("10.0.0.7:40001", "Bearer gpi_key");

    private static String encode(String uri, String contentType, String accept, String body) {
        ByteBuf out = BackendRequestHead.encode(ByteBufAllocator.DEFAULT, uri, FIXED, contentType, accept,
                Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
        try {
            assertEquals(out.capacity(), out.readableBytes(), "sized exactly");
            return out.toString(StandardCharsets.UTF_8);
        } finally {
            out.release();
        }
    }

    @Test
    void aRequestIsItsLineTheTargetsHeadersTheClientsTwoAndTheLengthThenTheBody() {
        assertEquals("POST /v1/chat/completions?x=1 HTTP/1.1\r\n"
                        + "host: 10.0.0.7:40001\r\n"
                        + "authorization: Bearer gpi_key\r\n"
                        + "content-type: application/json; charset=utf-8\r\n"
                        + "accept: text/event-stream\r\n"
                        + "content-length: 16\r\n"
                        + "\r\n"
                        + "{\"model\":\"é-m\"}",
                encode("/v1/chat/completions?x=1", "application/json; charset=utf-8", "text/event-stream",
                        "{\"model\":\"é-m\"}"));
    }

    @Test
    void anAbsentHeaderIsLeftOutAndAnEmptyBodyHasLengthZero() {
        assertEquals("POST /v1/embeddings HTTP/1.1\r\nhost: 10.0.0.7:40001\r\nauthorization: Bearer gpi_key\r\n"
                + "content-length: 0\r\n\r\n", encode("/v1/embeddings", null, null, ""));
    }

    @Test
    void aTracedCallCarriesItsTraceparent() {
        String trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        ByteBuf out = BackendRequestHead.encode(ByteBufAllocator.DEFAULT, "/v1/embeddings", FIXED, null, null, trace,
                Unpooled.copiedBuffer("{}", StandardCharsets.UTF_8));
        try {
            assertEquals(out.capacity(), out.readableBytes(), "sized exactly");
            assertEquals("POST /v1/embeddings HTTP/1.1\r\nhost: 10.0.0.7:40001\r\nauthorization: Bearer gpi_key\r\n"
                    + "traceparent: " + trace + "\r\ncontent-length: 2\r\n\r\n{}",
                    out.toString(StandardCharsets.UTF_8));
        } finally {
            out.release();
        }
    }

    /** A value that could end the header line (or is not one byte per char) is left out, never sent. */
    @ParameterizedTest
    @ValueSource(strings = {"application/json\r\nx-injected: 1", "a\nb", "a\rb", "a\u0000b", "a\u007fb", "a\u0100b",
            "a\u0001b"})
    void aHeaderValueThatIsNotAFieldValueIsLeftOut(String value) {
        String sent = encode("/v1/embeddings", value, value, "{}");
        assertEquals("POST /v1/embeddings HTTP/1.1\r\nhost: 10.0.0.7:40001\r\nauthorization: Bearer gpi_key\r\n"
                + "content-length: 2\r\n\r\n{}", sent);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"text/plain;\tq=1", "ÿ-latin1", "a b"})
    void tabsSpacesAndLatin1AreFieldValues(String value) {
        String sent = new String(encodeBytes(value), StandardCharsets.ISO_8859_1);
        assertEquals(true, sent.contains("content-type: " + value + "\r\n"), sent);
    }

    private static byte[] encodeBytes(String contentType) {
        ByteBuf out = BackendRequestHead.encode(ByteBufAllocator.DEFAULT, "/v1/x", FIXED, contentType, null,
                Unpooled.EMPTY_BUFFER);
        try {
            byte[] bytes = new byte[out.readableBytes()];
            out.readBytes(bytes);
            return bytes;
        } finally {
            out.release();
        }
    }

    /** A target that would split the request line is refused, not cleaned up. */
    @ParameterizedTest
    @ValueSource(strings = {"", "/v1/x y", "/v1/x\r\nHost: evil", "/v1/x\ty", "/v1/\u0000", "/v1/\u0100"})
    void aTargetThatCouldSplitTheRequestLineIsRefused(String uri) {
        assertThrows(IllegalArgumentException.class, () -> BackendRequestHead.encode(ByteBufAllocator.DEFAULT, uri,
                FIXED, null, null, Unpooled.EMPTY_BUFFER));
    }

    @Test
    void aTargetsOwnHeadersMustBeFieldValues() {
        assertThrows(IllegalArgumentException.class,
                () -> BackendRequestHead.fixedHeaders("host\r\nx: 1", "Bearer k"));
        assertThrows(IllegalArgumentException.class, () -> BackendRequestHead.fixedHeaders("h:1", "Bearer\nk"));
    }
}
