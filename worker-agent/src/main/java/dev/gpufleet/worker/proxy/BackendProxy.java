package dev.gpufleet.worker.proxy;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.RequestOptions;
import org.jboss.logging.Logger;

import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The authenticating reverse proxy in front of one backend that cannot check a key itself (vox-box, MindIE): it
 * listens on the instance's advertised address and port, answers 401 in the OpenAI error shape unless the request
 * carries {@code Authorization: Bearer <instance key>}, and forwards everything else as it is to the backend on
 * loopback. Bodies stream both ways through Vert.x pipes (chunk by chunk, never buffered whole; a slow reader pauses
 * the other side), so server-sent events and chunked answers arrive as the backend writes them.
 */
public final class BackendProxy {
    private static final Logger LOG = Logger.getLogger(BackendProxy.class);
    /** Where the proxied backend listens. */
    public static final String LOOPBACK = "127.0.0.1";
    /** Headers of one connection (RFC 9110 7.6.1), never forwarded. Host is: the backend sees the client's. */
    static final Set<String> NOT_FORWARDED = Set.of("connection", "keep-alive", "proxy-authenticate",
            "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade", "expect", "proxy-connection");
    static final String UNAUTHORIZED = error("This backend needs its instance key: send Authorization: Bearer "
            + "<key>", "invalid_request_error", "invalid_api_key");
    static final String BAD_GATEWAY = error("The backend did not answer", "server_error", "backend_unavailable");

    private final HttpServer server;
    private final int port;

    private BackendProxy(HttpServer server) {
        this.server = server;
        this.port = server.actualPort();
    }

    /**
     * Listens on {@code host:port} and forwards to {@code 127.0.0.1:backendPort} through {@code client}.
     *
     * @return fails when the address cannot be bound
     */
    public static Future<BackendProxy> open(Vertx vertx, HttpClient client, String host, int port, int backendPort,
                                            BackendKeyCheck keys) {
        HttpServer server = vertx.createHttpServer(new HttpServerOptions().setHost(host).setPort(port)
                .setReuseAddress(true).setCompressionSupported(false).setDecompressionSupported(false)
                .setHandle100ContinueAutomatically(true).setIdleTimeout(0));
        server.requestHandler(request -> handle(request, client, backendPort, keys));
        return server.listen().map(BackendProxy::new);
    }

    /** The port it listens on. */
    public int port() {
        return port;
    }

    public Future<Void> close() {
        return server.close();
    }

    private static void handle(HttpServerRequest request, HttpClient client, int backendPort, BackendKeyCheck keys) {
        if (!keys.accepts(request.getHeader(HttpHeaders.AUTHORIZATION))) {
            request.response().setStatusCode(401).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                    .putHeader("WWW-Authenticate", "Bearer").end(UNAUTHORIZED);
            return;
        }
        request.pause();
        client.request(new RequestOptions().setMethod(request.method()).setHost(LOOPBACK).setPort(backendPort)
                .setURI(request.uri())).onComplete(opened -> {
            if (opened.failed()) {
                request.resume();
                badGateway(request, opened.cause());
                return;
            }
            HttpClientRequest forwarded = opened.result();
            copy(request.headers(), forwarded.headers());
            boolean chunked = request.getHeader(HttpHeaders.CONTENT_LENGTH) == null
                    && "chunked".equalsIgnoreCase(request.getHeader(HttpHeaders.TRANSFER_ENCODING));
            forwarded.setChunked(chunked);
            forwarded.response().onComplete(answered -> {
                if (answered.failed()) {
                    badGateway(request, answered.cause());
                } else {
                    relay(request, answered.result());
                }
            });
            // the client going away mid-answer ends the backend's work too
            request.response().closeHandler(closed -> forwarded.reset());
            request.pipe().endOnFailure(false).to(forwarded).onFailure(failure -> forwarded.reset());
        });
    }

    private static void relay(HttpServerRequest request, HttpClientResponse answer) {
        HttpServerResponse response = request.response();
        response.setStatusCode(answer.statusCode());
        if (answer.statusMessage() != null) {
            response.setStatusMessage(answer.statusMessage());
        }
        copy(answer.headers(), response.headers());
        boolean bodiless = request.method() == HttpMethod.HEAD || answer.statusCode() == 204
                || answer.statusCode() == 304 || answer.statusCode() / 100 == 1;
        if (!bodiless && answer.getHeader(HttpHeaders.CONTENT_LENGTH) == null) {
            response.setChunked(true);
        }
        // a backend that breaks off mid-answer breaks the client's answer off too, never ends it as if complete
        answer.pipe().endOnFailure(false).to(response).onFailure(failure -> response.reset());
    }

    private static void badGateway(HttpServerRequest request, Throwable cause) {
        LOG.debugf("Backend on loopback did not answer %s %s: %s", request.method(), request.path(), cause);
        HttpServerResponse response = request.response();
        if (response.headWritten()) {
            response.reset();
            return;
        }
        response.setStatusCode(502).putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(BAD_GATEWAY);
    }

    private static void copy(MultiMap from, MultiMap to) {
        for (Map.Entry<String, String> header : from) {
            if (!NOT_FORWARDED.contains(header.getKey().toLowerCase(Locale.ROOT))) {
                to.add(header.getKey(), header.getValue());
            }
        }
    }

    private static String error(String message, String type, String code) {
        return "{\"error\":{\"message\":\"" + message + "\",\"type\":\"" + type + "\",\"param\":null,\"code\":\""
                + code + "\"}}";
    }
}
