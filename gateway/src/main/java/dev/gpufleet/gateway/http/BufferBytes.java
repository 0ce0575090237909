package dev.gpufleet.gateway.http;

import io.netty.buffer.ByteBuf;
import io.vertx.core.buffer.Buffer;

/** A Vert.x buffer's bytes handed to a reader where they lie (the usual heap buffer has an array), else copied. */
public final class BufferBytes {
    private BufferBytes() {
    }

    @FunctionalInterface
    public interface Reader<T, E extends Exception> {
        T read(byte[] bytes, int offset, int length) throws E;
    }

    public static <T, E extends Exception> T read(Buffer buffer, Reader<T, E> reader) throws E {
        ByteBuf bytes = buffer.getByteBuf();
        if (bytes.hasArray()) {
            return reader.read(bytes.array(), bytes.arrayOffset() + bytes.readerIndex(), bytes.readableBytes());
        }
        byte[] copy = buffer.getBytes();
        return reader.read(copy, 0, copy.length);
    }
}
