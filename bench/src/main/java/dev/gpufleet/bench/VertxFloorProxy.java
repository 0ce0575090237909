package dev.gpufleet.bench;

import io.vertx.core.AbstractVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;

import java.util.concurrent.CountDownLatch;

/**
 * The floor under the gateway in bench/gateway: the least a Vert.x reverse proxy does (whole request body in, one
 * pooled keep-alive request to the backend, the answer relayed buffer by buffer), with the gateway's Vert.x, one
 * verticle per event loop and as many event loops as Quarkus gives the gateway (one per CPU, at least 2, when the
 * heap has room: Quarkus 3's default). No auth, routing,
 * metering, metrics or Quarkus. What the gateway costs above this row is its own; what this row costs above nginx is
 * the platform's. Prints "listening PORT".
 */
public final class VertxFloorProxy {
    private VertxFloorProxy() {
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        int backendPort = Integer.parseInt(args[1]);
        int loops = Math.max(2, Runtime.getRuntime().availableProcessors());
        // the same transport as the gateway under test (Quarkus reads this variable for it)
        boolean epoll = !"false".equalsIgnoreCase(System.getenv("QUARKUS_VERTX_PREFER_NATIVE_TRANSPORT"));
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(loops).setPreferNativeTransport(epoll));
        CountDownLatch listening = new CountDownLatch(loops);
        vertx.deployVerticle(() -> new AbstractVerticle() {
            @Override
            public void start() {
                HttpClient client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true)
                        .setTcpNoDelay(true), new PoolOptions().setHttp1MaxSize(256));
                vertx.createHttpServer(new HttpServerOptions().setTcpNoDelay(true)).requestHandler(request ->
                        request.body().onSuccess(body -> {
                            RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST)
                                    .setHost("127.0.0.1").setPort(backendPort).setURI(request.uri());
                            options.putHeader(HttpHeaders.CONTENT_TYPE, request.getHeader(HttpHeaders.CONTENT_TYPE));
                            client.request(options).compose(backend -> backend.send(body)).onComplete(answer -> {
                                HttpServerResponse response = request.response();
                                if (answer.failed()) {
                                    response.setStatusCode(502).end();
                                    return;
                                }
                                response.setStatusCode(answer.result().statusCode());
                                response.putHeader(HttpHeaders.CONTENT_TYPE,
                                        answer.result().getHeader(HttpHeaders.CONTENT_TYPE));
                                String length = answer.result().getHeader(HttpHeaders.CONTENT_LENGTH);
                                if (length != null) {
                                    response.putHeader(HttpHeaders.CONTENT_LENGTH, length);
                                } else {
                                    response.setChunked(true);
                                }
                                answer.result().pipeTo(response);
                            });
                        })).listen(port).onSuccess(server -> listening.countDown());
            }
        }, new DeploymentOptions().setInstances(loops));
        listening.await();
        System.out.println("listening " + port + (vertx.isNativeTransportEnabled() ? " (epoll)" : " (nio)"));
    }
}
