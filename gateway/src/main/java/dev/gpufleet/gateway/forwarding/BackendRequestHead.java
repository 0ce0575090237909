package dev.gpufleet.gateway.forwarding;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.nio.charset.StandardCharsets;

/**
 * The bytes of a request to a backend: its head and its body in one buffer, one write. The gateway sends only
 * POSTs with a whole body of known length and a handful of headers, so the head is written directly rather than
 * built as a header map for Netty's encoder to walk.
 *
 * <p>{@code fixedHeaders} are the target's own (its Host and Authorization lines, made once per instance). A
 * client's header value goes on only if it is a legal field value (no CR, LF or NUL, no other control character
 * but tab); the request line's target only if it has no space or control character. Vert.x has parsed both from
 * the client's request line and header lines, which cannot hold a line break, so this is a second line of defence
 * against a request split in two, not the first.
 */
final class BackendRequestHead {
    private static final byte[] POST = "POST ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] VERSION = " HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CONTENT_TYPE = "content-type: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ACCEPT = "accept: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CONTENT_LENGTH = "content-length: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] TRACE_PARENT = "traceparent: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CRLF = {'\r', '\n'};

    private BackendRequestHead() {
    }

    /** The target's header lines, each ending in CRLF: written once per instance, sent with every request. */
    static byte[] fixedHeaders(String hostHeader, String authorization) {
        if (!legalValue(hostHeader) || !legalValue(authorization)) {
            throw new IllegalArgumentException("a backend header holds a control character");
        }
        return ("host: " + hostHeader + "\r\nauthorization: " + authorization + "\r\n")
                .getBytes(StandardCharsets.ISO_8859_1);
    }

    /**
     * One buffer (the allocator's: direct, pooled) holding the request line, the headers and the body.
     *
     * @throws IllegalArgumentException if {@code uri} could split the request line
     */
    static ByteBuf encode(ByteBufAllocator allocator, String uri, byte[] fixedHeaders, String contentType,
                          String accept, ByteBuf body) {
        return encode(allocator, uri, fixedHeaders, contentType, accept, null, body);
    }

    /**
     * As above, with the trace the backend call belongs to ({@code traceparent}, W3C), when the request is traced:
     * a backend that traces (vLLM) continues it.
     */
    static ByteBuf encode(ByteBufAllocator allocator, String uri, byte[] fixedHeaders, String contentType,
                          String accept, String traceParent, ByteBuf body) {
        if (!legalTarget(uri)) {
            throw new IllegalArgumentException("the request target holds a space or a control character");
        }
        boolean withType = contentType != null && legalValue(contentType);
        boolean withAccept = accept != null && legalValue(accept);
        boolean withTrace = traceParent != null && legalValue(traceParent);
        int bodyLength = body.readableBytes();
        String length = Integer.toString(bodyLength);
        int size = POST.length + uri.length() + VERSION.length + fixedHeaders.length
                + (withType ? CONTENT_TYPE.length + contentType.length() + 2 : 0)
                + (withAccept ? ACCEPT.length + accept.length() + 2 : 0)
                + (withTrace ? TRACE_PARENT.length + traceParent.length() + 2 : 0)
                + CONTENT_LENGTH.length + length.length() + 4 + bodyLength;
        ByteBuf out = allocator.buffer(size);
        out.writeBytes(POST);
        out.writeCharSequence(uri, StandardCharsets.ISO_8859_1);
        out.writeBytes(VERSION);
        out.writeBytes(fixedHeaders);
        if (withType) {
            out.writeBytes(CONTENT_TYPE);
            out.writeCharSequence(contentType, StandardCharsets.ISO_8859_1);
            out.writeBytes(CRLF);
        }
        if (withAccept) {
            out.writeBytes(ACCEPT);
            out.writeCharSequence(accept, StandardCharsets.ISO_8859_1);
            out.writeBytes(CRLF);
        }
        if (withTrace) {
            out.writeBytes(TRACE_PARENT);
            out.writeCharSequence(traceParent, StandardCharsets.ISO_8859_1);
            out.writeBytes(CRLF);
        }
        out.writeBytes(CONTENT_LENGTH);
        out.writeCharSequence(length, StandardCharsets.US_ASCII);
        out.writeBytes(CRLF);
        out.writeBytes(CRLF);
        out.writeBytes(body, body.readerIndex(), bodyLength);
        return out;
    }

    /** A field value as RFC 9110 allows it: visible characters, spaces and tabs, obs-text; nothing past one byte. */
    static boolean legalValue(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if ((c < 0x20 && c != '\t') || c == 0x7f || c > 0xff) {
                return false;
            }
        }
        return true;
    }

    /** A request target: no space, no control character, nothing past one byte. */
    static boolean legalTarget(String uri) {
        if (uri.isEmpty()) {
            return false;
        }
        for (int i = 0; i < uri.length(); i++) {
            char c = uri.charAt(i);
            if (c <= 0x20 || c == 0x7f || c > 0xff) {
                return false;
            }
        }
        return true;
    }
}
