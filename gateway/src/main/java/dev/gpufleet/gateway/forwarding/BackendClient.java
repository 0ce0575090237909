package dev.gpufleet.gateway.forwarding;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.resolver.AddressResolverGroup;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.FastThreadLocal;
import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.impl.ContextInternal;
import io.vertx.core.impl.VertxInternal;
import io.vertx.mutiny.core.Vertx;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;

/**
 * The gateway's HTTP/1.1 client to backends, on the event loops' own Netty channels: each event loop keeps its
 * own keep-alive pool per backend endpoint ({@link BackendPool}), so a request's backend connection lives on the
 * request's loop and nothing is locked. {@code max-connections-per-instance} is shared out among the loops.
 *
 * <p>Why not Vert.x's HttpClient, which this replaced: for a request that is always a POST with a whole body, and
 * an answer relayed piece by piece, its request, response, stream and promise objects, header maps and pool
 * machinery cost a proxy more than Netty's decoder and the bytes themselves (bench/README.md, gateway).
 */
@Singleton
public class BackendClient {
    /** Past this many endpoints a loop drops its unused pools. */
    private static final int POOLS_BEFORE_PURGE = 64;
    private static final int MAX_INITIAL_LINE = 4096;
    private static final int MAX_HEADER_BYTES = 8192;
    private static final int MAX_CHUNK_BYTES = 8192;

    private final VertxInternal vertx;
    private final ChannelFactory<? extends Channel> channels;
    private final AddressResolverGroup<InetSocketAddress> resolver;
    private final int connectTimeoutMillis;
    private final int maxPerLoop;
    private final long keepAliveNanos;
    private final long idleTimeoutMillis;
    private final List<LoopPools> everyLoop = new ArrayList<>();
    private final FastThreadLocal<LoopPools> loops = new FastThreadLocal<>() {
        @Override
        protected LoopPools initialValue() {
            Context context = io.vertx.core.Vertx.currentContext();
            if (context == null || !Context.isOnEventLoopThread()) {
                throw new IllegalStateException("backend calls are made on event loops only");
            }
            LoopPools pools = new LoopPools(((ContextInternal) context).nettyEventLoop());
            synchronized (everyLoop) {
                everyLoop.add(pools);
            }
            return pools;
        }
    };

    @Inject
    public BackendClient(Vertx vertx, BackendConfig config) {
        this(vertx.getDelegate(), config.connectTimeout(), config.maxConnectionsPerInstance(),
                config.keepAliveTimeout(), config.idleTimeout());
    }

    BackendClient(io.vertx.core.Vertx vertx, Duration connectTimeout, int maxConnectionsPerInstance,
                  Duration keepAliveTimeout, Duration idleTimeout) {
        this.vertx = (VertxInternal) vertx;
        this.channels = this.vertx.transport().channelFactory(false);
        this.resolver = this.vertx.nettyAddressResolverGroup();
        this.connectTimeoutMillis = Math.toIntExact(connectTimeout.toMillis());
        // counted rather than configured: Quarkus's default (quarkus.vertx.event-loops-pool-size) depends on its
        // version, the CPUs and the heap
        int loops = Math.max(1, eventLoops(this.vertx));
        this.maxPerLoop = Math.max(1, (maxConnectionsPerInstance + loops - 1) / loops);
        this.keepAliveNanos = Math.max(1, keepAliveTimeout.toNanos());
        this.idleTimeoutMillis = idleTimeout.toMillis();
    }

    private static int eventLoops(io.vertx.core.Vertx vertx) {
        int loops = 0;
        for (EventExecutor ignored : vertx.nettyEventLoopGroup()) {
            loops++;
        }
        return loops;
    }

    /**
     * A call to {@code endpoint}, not yet started: keep the handle, then {@link BackendCall#start}. On an event loop
     * only; the call and its callbacks stay on it.
     *
     * @param fixedHeaders the target's Host and Authorization lines ({@link BackendRequestHead#fixedHeaders})
     */
    BackendCall call(BackendEndpoint endpoint, String uri, byte[] fixedHeaders, String contentType, String accept,
                     Buffer body, BackendCall.Listener listener) {
        return call(endpoint, uri, fixedHeaders, contentType, accept, null, body, listener);
    }

    /** As above, sending {@code traceParent} (W3C) when it is not null. */
    BackendCall call(BackendEndpoint endpoint, String uri, byte[] fixedHeaders, String contentType, String accept,
                     String traceParent, Buffer body, BackendCall.Listener listener) {
        ByteBuf bytes = body == null ? Unpooled.EMPTY_BUFFER : body.getByteBuf();
        return new BackendCall(loops.get().pool(endpoint), uri, fixedHeaders, contentType, accept, traceParent, bytes,
                listener);
    }

    public long idleTimeoutMillis() {
        return idleTimeoutMillis;
    }

    /** Connections open or opening to {@code endpoint} from the calling event loop (for tests). */
    int openConnections(BackendEndpoint endpoint) {
        BackendPool pool = loops.get().pools.get(endpoint);
        return pool == null ? 0 : pool.openConnections();
    }

    int idleConnections(BackendEndpoint endpoint) {
        BackendPool pool = loops.get().pools.get(endpoint);
        return pool == null ? 0 : pool.idleConnections();
    }

    @PreDestroy
    void close() {
        List<LoopPools> all;
        synchronized (everyLoop) {
            all = List.copyOf(everyLoop);
        }
        for (LoopPools pools : all) {
            try {
                pools.loop.execute(pools::closeAll);
            } catch (RejectedExecutionException stopped) {
                // the loop has stopped, and its channels were closed with it
            }
        }
    }

    /** One event loop's pools, by endpoint; touched on that loop only. */
    final class LoopPools {
        final EventLoop loop;
        private final Map<BackendEndpoint, BackendPool> pools = new HashMap<>();

        LoopPools(EventLoop loop) {
            this.loop = loop;
        }

        BackendPool pool(BackendEndpoint endpoint) {
            BackendPool pool = pools.get(endpoint);
            if (pool == null) {
                if (pools.size() >= POOLS_BEFORE_PURGE) {
                    pools.values().removeIf(BackendPool::unused);
                }
                pool = new BackendPool(this, endpoint, address(endpoint), bootstrap(), maxPerLoop, keepAliveNanos);
                pools.put(endpoint, pool);
            }
            return pool;
        }

        private Bootstrap bootstrap() {
            return new Bootstrap()
                    .group(loop)
                    .channelFactory(channels)
                    .resolver(resolver)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMillis)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .handler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel channel) {
                            channel.pipeline().addLast(new HttpResponseDecoder(MAX_INITIAL_LINE, MAX_HEADER_BYTES,
                                    MAX_CHUNK_BYTES));
                        }
                    });
        }

        void closeAll() {
            for (Iterator<BackendPool> it = pools.values().iterator(); it.hasNext(); ) {
                BackendPool pool = it.next();
                it.remove();
                pool.closeAll();
            }
        }
    }

    /** An IP literal as it is; a host name left for Vert.x's resolver, asked at each connect. */
    private static InetSocketAddress address(BackendEndpoint endpoint) {
        byte[] ip = NetUtil.createByteArrayFromIpAddressString(endpoint.host());
        if (ip != null) {
            try {
                return new InetSocketAddress(InetAddress.getByAddress(endpoint.host(), ip), endpoint.port());
            } catch (UnknownHostException impossible) {
                // only for an address of the wrong length, which NetUtil does not make
            }
        }
        return InetSocketAddress.createUnresolved(endpoint.host(), endpoint.port());
    }
}
