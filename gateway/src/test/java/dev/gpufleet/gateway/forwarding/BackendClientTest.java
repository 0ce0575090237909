package dev.gpufleet.gateway.forwarding;

import io.netty.handler.codec.http.HttpResponse;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The backend client against real sockets: raw TCP servers that answer, close, stall or write nonsense as told,
 * and see every byte and connection the client makes. One event loop, so the loop's pool is the whole pool.
 */
class BackendClientTest {
    private static final byte[] FIXED = BackendRequestHead.fixedHeaders("127.0.0.1", "Bearer k");
    private static final String OK = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}";

    private final Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
    private final Context loop = vertx.getOrCreateContext();
    private final List<NetServer> servers = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    /** A backend of raw TCP: each connection's requests (whole, by content-length) go to {@code answer}. */
    private final class RawBackend {
        final List<NetSocket> connections = new CopyOnWriteArrayList<>();
        final List<String> requests = new CopyOnWriteArrayList<>();
        final AtomicInteger closed = new AtomicInteger();
        final int port;

        RawBackend(BiConsumer<NetSocket, Integer> answer) throws Exception {
            NetServer server = vertx.createNetServer().connectHandler(socket -> {
                connections.add(socket);
                int connection = connections.size();
                Buffer[] pending = {Buffer.buffer()};
                AtomicInteger onThisConnection = new AtomicInteger();
                socket.closeHandler(ignored -> closed.incrementAndGet());
                socket.handler(bytes -> {
                    pending[0].appendBuffer(bytes);
                    String text = pending[0].toString(StandardCharsets.ISO_8859_1);
                    int headEnd = text.indexOf("\r\n\r\n");
                    if (headEnd < 0) {
                        return;
                    }
                    int length = 0;
                    for (String line : text.substring(0, headEnd).split("\r\n")) {
                        if (line.toLowerCase().startsWith("content-length:")) {
                            length = Integer.parseInt(line.substring(15).trim());
                        }
                    }
                    if (text.length() < headEnd + 4 + length) {
                        return;
                    }
                    requests.add(text.substring(0, headEnd + 4 + length));
                    pending[0] = pending[0].getBuffer(headEnd + 4 + length, pending[0].length());
                    onThisConnection.incrementAndGet();
                    answer.accept(socket, connection * 1000 + onThisConnection.get());
                });
            });
            server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            servers.add(server);
            port = server.actualPort();
        }

        BackendEndpoint endpoint() {
            return new BackendEndpoint("127.0.0.1", port);
        }
    }

    /** What a call heard, in order. */
    private static final class Heard implements BackendCall.Listener {
        final CompletableFuture<String> outcome = new CompletableFuture<>();
        final StringBuilder body = new StringBuilder();
        final AtomicInteger pieces = new AtomicInteger();
        volatile int status;
        volatile BackendCall call;
        volatile boolean pauseAtFirstPiece;

        @Override
        public void head(HttpResponse head) {
            status = head.status().code();
        }

        @Override
        public void content(Buffer piece) {
            body.append(piece.toString(StandardCharsets.ISO_8859_1));
            if (pieces.incrementAndGet() == 1 && pauseAtFirstPiece) {
                call.pause();
            }
        }

        @Override
        public void end() {
            outcome.complete("end " + status + " " + body);
        }

        @Override
        public void failed(Throwable cause) {
            outcome.completeExceptionally(cause);
        }

        String await() throws Exception {
            return outcome.get(10, TimeUnit.SECONDS);
        }

        Throwable awaitFailure() throws Exception {
            try {
                String ended = outcome.get(10, TimeUnit.SECONDS);
                throw new AssertionError("the call ended instead of failing: " + ended);
            } catch (java.util.concurrent.ExecutionException failed) {
                return failed.getCause();
            }
        }
    }

    private BackendClient client(int maxConnections, Duration keepAlive) {
        return new BackendClient(vertx, Duration.ofSeconds(1), maxConnections, keepAlive, Duration.ofMinutes(1));
    }

    private Heard call(BackendClient client, BackendEndpoint endpoint, String uri, String body) throws Exception {
        Heard heard = new Heard();
        onLoop(() -> {
            BackendCall call = client.call(endpoint, uri, FIXED, "application/json", null, Buffer.buffer(body),
                    heard);
            heard.call = call;
            call.start();
            return null;
        });
        return heard;
    }

    private <T> T onLoop(Supplier<T> action) throws Exception {
        CompletableFuture<T> result = new CompletableFuture<>();
        loop.runOnContext(ignored -> {
            try {
                result.complete(action.get());
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        });
        return result.get(10, TimeUnit.SECONDS);
    }

    /** The client's open connections to {@code endpoint}, asked on its loop (the pool is the loop's). */
    private int openConnections(BackendClient client, BackendEndpoint endpoint) {
        try {
            return onLoop(() -> client.openConnections(endpoint));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static void write(NetSocket socket, String text) {
        socket.write(Buffer.buffer(text.getBytes(StandardCharsets.ISO_8859_1)));
    }

    private static void await(Supplier<Boolean> condition) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.get()) {
            if (System.nanoTime() > until) {
                throw new AssertionError("not reached in 10 s");
            }
            Thread.sleep(10);
        }
    }

    @Test
    void theBackendGetsTheRequestAsEncodedAndTheAnswerComesBackWhole() throws Exception {
        RawBackend backend = new RawBackend((socket, n) -> write(socket, OK));
        BackendClient client = client(4, Duration.ofSeconds(60));

        assertEquals("end 200 {}", call(client, backend.endpoint(), "/v1/chat/completions?a=b", "{\"m\":1}").await());
        assertEquals(List.of("POST /v1/chat/completions?a=b HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer k\r\n"
                + "content-type: application/json\r\ncontent-length: 7\r\n\r\n{\"m\":1}"), backend.requests);
    }

    @Test
    void oneConnectionCarriesOneCallAfterAnotherAndIsIdleBetween() throws Exception {
        RawBackend backend = new RawBackend((socket, n) -> write(socket, OK));
        BackendClient client = client(4, Duration.ofSeconds(60));

        for (int i = 0; i < 5; i++) {
            assertEquals("end 200 {}", call(client, backend.endpoint(), "/v1/x", "{}").await());
        }
        assertEquals(1, backend.connections.size());
        assertEquals(1, onLoop(() -> client.idleConnections(backend.endpoint())));
    }

    @Test
    void aChunkedStreamArrivesPieceByPiece() throws Exception {
        RawBackend backend = new RawBackend((socket, n) -> {
            write(socket, "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n");
            for (int i = 0; i < 3; i++) {
                String event = "data: " + i + "\n\n";
                vertx.setTimer(20L * (i + 1), t -> write(socket, Integer.toHexString(event.length()) + "\r\n"
                        + event + "\r\n"));
            }
            vertx.setTimer(100, t -> write(socket, "0\r\n\r\n"));
        });
        BackendClient client = client(4, Duration.ofSeconds(60));

        Heard heard = call(client, backend.endpoint(), "/v1/x", "{}");
        assertEquals("end 200 data: 0\n\ndata: 1\n\ndata: 2\n\n", heard.await());
        assertEquals(3, heard.pieces.get());
        assertEquals(1, onLoop(() -> client.idleConnections(backend.endpoint())));
    }

    @Test
    void anAnswerWithConnectionCloseIsNotKeptAndTheNextCallOpensAnother() throws Exception {
        RawBackend backend = new RawBackend((socket, n) -> write(socket,
                "HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 2\r\n\r\nok"));
        BackendClient client = client(4, Duration.ofSeconds(60));

        assertEquals("end 200 ok", call(client, backend.endpoint(), "/v1/x", "{}").await());
        assertEquals("end 200 ok", call(client, backend.endpoint(), "/v1/x", "{}").await());
        assertEquals(2, backend.connections.size());
        await(() -> backend.closed.get() == 2);
    }

    /** The keep-alive race: the backend drops an idle connection just as a request goes out on it. */
    @Test
    void aReusedConnectionTheBackendClosedWithoutAnswerIsRetriedOnceOnAFreshOne() throws Exception {
        // every connection answers its first request and closes on its second without a word
        RawBackend backend = new RawBackend((socket, n) -> {
            if (n % 1000 == 1) {
                write(socket, OK);
            } else {
                socket.close();
            }
        });
        BackendClient client = client(4, Duration.ofSeconds(60));

        assertEquals("end 200 {}", call(client, backend.endpoint(), "/v1/x", "{}").await());
        assertEquals("end 200 {}", call(client, backend.endpoint(), "/v1/x", "{}").await());
        assertEquals(2, backend.connections.size());
        assertEquals(3, backend.requests.size());
    }

    @Test
    void aFreshConnectionThatClosesWithoutAnswerFails() throws Exception {
        RawBackend backend = new RawBackend((socket, n) -> socket.close());
        BackendClient client = client(4, Duration.ofSeconds(60));

        Throwable failure = call(client, backend.endpoint(), "/v1/x", "{}").awaitFailure();
        assertInstanceOf(IOException.class, failure);
        assertEquals(1, backend.requests.size());
    }

    @Test
    void anAnswerCutShortFailsAfterItsHead() throws Exception {
        RawBackend backend = new RawBackend((socket, n) -> {
            write(socket, "HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{\"partial\"");
            vertx.setTimer(50, t -> socket.close());
        });
        BackendClient client = client(4, Duration.ofSeconds(60));

        Heard heard = call(client, backend.endpoint(), "/v1/x", "{}");
        assertInstanceOf(IOException.class, heard.awaitFailure());
        assertEquals(200, heard.status);
        assertEquals("{\"partial\"", heard.body.toString());
        await(() -> openConnections(client, backend.endpoint()) == 0);
    }

    @Test
    void anAnswerThatIsNotHttpFails() throws Exception {
        RawBackend backend = new RawBackend((socket, n) -> write(socket, "SSH-2.0-OpenSSH_9.6\r\n\r\n"));
        BackendClient client = client(4, Duration.ofSeconds(60));

        Throwable failure = call(client, backend.endpoint(), "/v1/x", "{}").awaitFailure();
        assertTrue(failure.getMessage().contains("not valid HTTP"), failure.getMessage());
        await(() -> backend.closed.get() == 1);
    }

    @Test
    void anInterimAnswerIsSkipped() throws Exception {
        RawBackend backend = new RawBackend((socket, n) -> write(socket, "HTTP/1.1 100 Continue\r\n\r\n" + OK));
        BackendClient client = client(4, Duration.ofSeconds(60));

        assertEquals("end 200 {}", call(client, backend.endpoint(), "/v1/x", "{}").await());
    }

    @Test
    void pastTheLimitCallsWaitForAConnectionInTurn() throws Exception {
        List<NetSocket> held = new CopyOnWriteArrayList<>();
        RawBackend backend = new RawBackend((socket, n) -> held.add(socket));
        BackendClient client = client(2, Duration.ofSeconds(60));

        List<Heard> calls = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            calls.add(call(client, backend.endpoint(), "/v1/x", "{\"i\":" + i + "}"));
        }
        await(() -> held.size() == 2);
        Thread.sleep(100);
        assertEquals(2, backend.connections.size(), "more connections than the limit");
        for (int answered = 0; answered < 5; answered++) {
            int index = answered;
            await(() -> held.size() > index);
            write(held.get(index), OK);
            await(() -> calls.stream().filter(heard -> heard.outcome.isDone()).count() == index + 1);
        }
        for (Heard heard : calls) {
            assertEquals("end 200 {}", heard.await());
        }
        assertEquals(2, backend.connections.size());
        // the first two went out at once, in either order; the waiting three in the order they came
        assertEquals(java.util.Set.of("{\"i\":0}", "{\"i\":1}"), java.util.Set.of(body(backend.requests.get(0)),
                body(backend.requests.get(1))));
        for (int i = 2; i < 5; i++) {
            assertEquals("{\"i\":" + i + "}", body(backend.requests.get(i)));
        }
    }

    private static String body(String request) {
        return request.substring(request.indexOf("\r\n\r\n") + 4);
    }

    @Test
    void anAbandonedCallClosesItsConnectionAndFreesItsPlaceForAWaitingOne() throws Exception {
        List<NetSocket> held = new CopyOnWriteArrayList<>();
        RawBackend backend = new RawBackend((socket, n) -> held.add(socket));
        BackendClient client = client(1, Duration.ofSeconds(60));

        Heard first = call(client, backend.endpoint(), "/v1/x", "{}");
        Heard second = call(client, backend.endpoint(), "/v1/x", "{}");
        await(() -> held.size() == 1);
        onLoop(() -> {
            first.call.abandon();
            return null;
        });
        await(() -> backend.closed.get() == 1);
        await(() -> held.size() == 2);
        write(held.get(1), OK);
        assertEquals("end 200 {}", second.await());
        assertTrue(!first.outcome.isDone(), "an abandoned call heard of its end");
    }

    @Test
    void idleConnectionsCloseAfterTheKeepAliveTimeout() throws Exception {
        RawBackend backend = new RawBackend((socket, n) -> write(socket, OK));
        BackendClient client = client(4, Duration.ofMillis(200));

        assertEquals("end 200 {}", call(client, backend.endpoint(), "/v1/x", "{}").await());
        await(() -> backend.closed.get() == 1);
        assertEquals(0, onLoop(() -> client.idleConnections(backend.endpoint())));
        assertEquals("end 200 {}", call(client, backend.endpoint(), "/v1/x", "{}").await());
        assertEquals(2, backend.connections.size());
    }

    @Test
    void anIdleConnectionTheBackendClosedIsNotUsedAgain() throws Exception {
        RawBackend backend = new RawBackend((socket, n) -> {
            write(socket, OK);
            vertx.setTimer(20, t -> socket.close());
        });
        BackendClient client = client(4, Duration.ofSeconds(60));

        assertEquals("end 200 {}", call(client, backend.endpoint(), "/v1/x", "{}").await());
        await(() -> backend.closed.get() == 1);
        await(() -> openConnections(client, backend.endpoint()) == 0);
        assertEquals("end 200 {}", call(client, backend.endpoint(), "/v1/x", "{}").await());
        assertEquals(2, backend.requests.size(), "the request went out once");
    }

    @Test
    void aPortWithNothingListeningFailsToConnect() throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        BackendClient client = client(4, Duration.ofSeconds(60));

        Throwable failure = call(client, new BackendEndpoint("127.0.0.1", port), "/v1/x", "{}").awaitFailure();
        assertInstanceOf(ConnectException.class, failure);
        assertEquals(0, openConnections(client, new BackendEndpoint("127.0.0.1", port)));
    }

    /** A listener whose backlog is full drops the handshake: the connect timeout (1 s here) ends the wait. */
    @Test
    void aConnectThatIsNeverAcceptedTimesOut() throws Exception {
        try (ServerSocket deaf = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            List<Socket> filling = new ArrayList<>();
            try {
                for (int i = 0; i < 4; i++) {
                    Socket socket = new Socket();
                    try {
                        socket.connect(new InetSocketAddress(deaf.getInetAddress(), deaf.getLocalPort()), 300);
                        filling.add(socket);
                    } catch (IOException full) {
                        socket.close();
                        break;
                    }
                }
                BackendClient client = client(4, Duration.ofSeconds(60));
                long start = System.nanoTime();
                Throwable failure = call(client, new BackendEndpoint("127.0.0.1", deaf.getLocalPort()), "/v1/x",
                        "{}").awaitFailure();
                long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                assertInstanceOf(ConnectException.class, failure);
                assertTrue(tookMillis >= 900 && tookMillis < 5_000, "failed after " + tookMillis + " ms");
            } finally {
                for (Socket socket : filling) {
                    socket.close();
                }
            }
        }
    }

    @Test
    void aPausedCallReadsNothingMoreUntilResumed() throws Exception {
        String piece = "x".repeat(4096);
        RawBackend backend = new RawBackend((socket, n) -> {
            write(socket, "HTTP/1.1 200 OK\r\ncontent-length: " + 64 * piece.length() + "\r\n\r\n" + piece);
            vertx.setTimer(50, t -> {
                for (int i = 1; i < 64; i++) {
                    write(socket, piece);
                }
            });
        });
        BackendClient client = client(4, Duration.ofSeconds(60));

        Heard heard = new Heard();
        heard.pauseAtFirstPiece = true;
        onLoop(() -> {
            heard.call = client.call(backend.endpoint(), "/v1/x", FIXED, null, null, Buffer.buffer("{}"), heard);
            heard.call.start();
            return null;
        });
        await(() -> heard.pieces.get() >= 1);
        Thread.sleep(300);
        int whilePaused = heard.pieces.get();
        Thread.sleep(300);
        assertEquals(whilePaused, heard.pieces.get(), "pieces kept coming while paused");
        assertTrue(!heard.outcome.isDone());
        onLoop(() -> {
            heard.call.resume();
            return null;
        });
        assertTrue(heard.await().startsWith("end 200 xxxx"));
        assertEquals(64 * piece.length(), heard.body.length());
    }

    @Test
    void aRequestTargetThatCouldSplitTheLineFailsAndTheConnectionStaysUsable() throws Exception {
        RawBackend backend = new RawBackend((socket, n) -> write(socket, OK));
        BackendClient client = client(4, Duration.ofSeconds(60));

        assertEquals("end 200 {}", call(client, backend.endpoint(), "/v1/x", "{}").await());
        assertInstanceOf(IllegalArgumentException.class,
                call(client, backend.endpoint(), "/v1/x y", "{}").awaitFailure());
        assertEquals("end 200 {}", call(client, backend.endpoint(), "/v1/x", "{}").await());
        assertEquals(1, backend.connections.size());
        assertEquals(2, backend.requests.size());
    }
}
