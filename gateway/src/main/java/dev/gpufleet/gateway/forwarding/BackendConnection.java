package dev.gpufleet.gateway.forwarding;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.buffer.impl.VertxByteBufAllocator;

import java.io.IOException;

/**
 * One keep-alive connection to a backend: the last handler of its channel, after Netty's response decoder. It
 * carries one call at a time (no pipelining); when an answer has ended and both sides allow keep-alive, it goes
 * back to its pool before the caller hears of the end.
 */
final class BackendConnection extends ChannelInboundHandlerAdapter {
    private final BackendPool pool;
    private final Channel channel;
    private BackendCall call;
    /** Answers completed on this connection; a call on a connection that has served one reuses it. */
    private int served;
    private boolean keepAlive;
    /** Inside an interim (1xx) answer, which is dropped. */
    private boolean interim;
    private boolean readingPaused;
    private long idleSince;
    private boolean countedOut;
    private Throwable failure;

    BackendConnection(BackendPool pool, Channel channel) {
        this.pool = pool;
        this.channel = channel;
    }

    /** Sends the call's request on this connection. */
    void carry(BackendCall call) {
        if (!channel.isActive()) {
            // closed between its release and now: closed() has counted it out or will; the call tries again
            call.connectionFailed(new IOException("the backend closed the connection"), true);
            return;
        }
        this.call = call;
        call.connection = this;
        keepAlive = true;
        interim = false;
        ByteBuf request;
        try {
            request = BackendRequestHead.encode(channel.alloc(), call.uri, call.fixedHeaders,
                    call.contentType, call.accept, call.traceParent, call.body);
        } catch (IllegalArgumentException invalid) {
            this.call = null;
            call.connection = null;
            pool.released(this);
            call.failed(invalid);
            return;
        }
        // a failed write reaches exceptionCaught, which closes the channel
        channel.writeAndFlush(request, channel.voidPromise());
    }

    /** The caller gave up on the call this connection carries: what the backend still sends is unknown, so close. */
    void abandoned(BackendCall abandoned) {
        if (call == abandoned) {
            call = null;
            close();
        }
    }

    void autoRead(boolean on) {
        if (readingPaused == on) {
            readingPaused = !on;
            channel.config().setAutoRead(on);
        }
    }

    boolean usable(long nowNanos, long keepAliveNanos) {
        return channel.isActive() && nowNanos - idleSince < keepAliveNanos;
    }

    void idleSince(long nanos) {
        idleSince = nanos;
    }

    long idleSince() {
        return idleSince;
    }

    boolean countedOut() {
        return countedOut;
    }

    void markCountedOut() {
        countedOut = true;
    }

    void close() {
        channel.close();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof HttpObject object) {
                read(object);
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void read(HttpObject object) {
        BackendCall current = call;
        if (current == null) {
            // nothing asked for (a backend writing after its answer, or to an abandoned call): not to be trusted
            close();
            return;
        }
        DecoderResult result = object.decoderResult();
        if (result.isFailure()) {
            failure = new IOException("the backend's answer is not valid HTTP: " + result.cause().getMessage(),
                    result.cause());
            call = null;
            close();
            current.failed(failure);
            return;
        }
        if (object instanceof HttpResponse head) {
            int status = head.status().code();
            if (status >= 100 && status < 200 && status != HttpResponseStatus.SWITCHING_PROTOCOLS.code()) {
                interim = true;
                current.answerSeen = true;
                return;
            }
            keepAlive = HttpUtil.isKeepAlive(head);
            current.head(head);
        }
        if (object instanceof HttpContent piece) {
            if (interim) {
                interim = !(piece instanceof LastHttpContent);
                return;
            }
            ByteBuf content = piece.content();
            if (content.isReadable() && call == current) {
                // on the heap, as Vert.x hands pieces on: the usage readers work on arrays
                ByteBuf heap = VertxByteBufAllocator.DEFAULT.heapBuffer(content.readableBytes());
                heap.writeBytes(content);
                current.content(Buffer.buffer(heap));
            }
            if (piece instanceof LastHttpContent && call == current) {
                call = null;
                current.connection = null;
                served++;
                if (keepAlive && channel.isActive()) {
                    autoRead(true);
                    pool.released(this);
                } else {
                    close();
                }
                current.ended();
            }
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (failure == null) {
            failure = cause;
        }
        close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        pool.closed(this);
        BackendCall current = call;
        call = null;
        if (current != null) {
            current.connectionFailed(failure != null ? failure
                    : new IOException("the backend closed the connection"), served > 0);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public String toString() {
        return "connection to " + pool.endpoint + " (" + channel + ")";
    }
}
