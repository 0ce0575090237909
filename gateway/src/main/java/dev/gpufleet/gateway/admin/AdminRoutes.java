package dev.gpufleet.gateway.admin;

import dev.gpufleet.gateway.audit.AuditRecorder;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gpufleet.gateway.auth.Caller;
import dev.gpufleet.gateway.health.ControlPlaneState;
import dev.gpufleet.kit.auth.ClusterToken;
import dev.gpufleet.kit.http.ApiError;
import dev.gpufleet.kit.http.PageRequest;
import dev.gpufleet.kit.http.PageView;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.mutiny.core.Vertx;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The admin API's door: {@code /api/v1/**} calls pass through to the service that owns them (models to the
 * registry; instances, workers and the scheduler's own routes to the scheduler), bodies streamed both ways and
 * the service's status and {@code {code, reason, message}} errors kept. The caller's credentials stay here; the
 * service sees the cluster token. {@code /api/v1/gpu-devices} is put together here from the scheduler's workers.
 *
 * <p>While PostgreSQL is away (the gateway's probe says so; every service keeps its state there), a change (any
 * method but GET and HEAD) is answered 503 with {@code Retry-After} at once rather than left to hang in the owning
 * service. A service that cannot be reached or does not answer in time is answered 503 or 504, with
 * {@code Retry-After}; a 503 of the service's own gets one too if it has none.
 */
@Singleton
public class AdminRoutes {
    private static final Logger LOG = Logger.getLogger(AdminRoutes.class);
    /** Hop-by-hop headers (RFC 9110 §7.6.1) and what the gateway sets itself. */
    private static final Set<String> NOT_FORWARDED = Set.of("connection", "keep-alive", "proxy-connection",
            "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade", "host",
            "authorization", "cookie", "content-length");
    private static final Set<String> NOT_RETURNED = Set.of("connection", "keep-alive", "proxy-connection",
            "proxy-authenticate", "te", "trailer", "transfer-encoding", "upgrade", "content-length", "set-cookie");
    public static final String RETRY_AFTER_SECONDS = "5";

    private final HttpClient client;
    private final URI registry;
    private final URI scheduler;
    private final String authorization;
    private final long timeoutMillis;
    private final ObjectMapper json;
    private final ControlPlaneState controlPlane;

    public AdminRoutes(Vertx vertx, ObjectMapper json, ControlPlaneState controlPlane,
                       @ConfigProperty(name = "gpufleet.gateway.registry-url", defaultValue = "http://127.0.0.1:8081")
                       URI registry,
                       @ConfigProperty(name = "gpufleet.gateway.scheduler-url", defaultValue = "http://127.0.0.1:8082")
                       URI scheduler,
                       @ConfigProperty(name = "gpufleet.gateway.admin.connect-timeout", defaultValue = "3s")
                       Duration connectTimeout,
                       @ConfigProperty(name = "gpufleet.gateway.admin.timeout", defaultValue = "60s")
                       Duration timeout,
                       ClusterToken clusterToken) {
        this.json = json;
        this.controlPlane = controlPlane;
        this.registry = checked("gpufleet.gateway.registry-url", registry);
        this.scheduler = checked("gpufleet.gateway.scheduler-url", scheduler);
        this.authorization = clusterToken.bearer();
        this.timeoutMillis = timeout.toMillis();
        HttpClientOptions options = new HttpClientOptions()
                .setConnectTimeout(Math.toIntExact(connectTimeout.toMillis()))
                .setKeepAlive(true)
                .setDecompressionSupported(false)
                .setName("gpufleet-admin");
        this.client = vertx.getDelegate().createHttpClient(options, new PoolOptions().setHttp1MaxSize(32));
    }

    private static URI checked(String setting, URI url) {
        if (url.getHost() == null || !("http".equals(url.getScheme()) || "https".equals(url.getScheme()))) {
            throw new IllegalArgumentException(setting + " must be an http:// or https:// URL with a host, was '"
                    + url + "'");
        }
        return url;
    }

    void register(@Observes Router router) {
        router.route("/api/v1/*").handler(this::handle);
    }

    @PreDestroy
    void close() {
        client.close();
    }

    private void handle(RoutingContext ctx) {
        AdminPaths.Target target = AdminPaths.resolve(ctx.normalizedPath());
        if (target instanceof AdminPaths.Local) {
            ctx.next();
            return;
        }
        if (!Caller.of(ctx).admin()) {
            error(ctx, 403, "the admin API needs an admin's API key");
            return;
        }
        if (target instanceof AdminPaths.Forward forward) {
            HttpMethod method = ctx.request().method();
            if (!controlPlane.databaseUp() && method != HttpMethod.GET && method != HttpMethod.HEAD) {
                ctx.response().putHeader(HttpHeaders.RETRY_AFTER, RETRY_AFTER_SECONDS);
                error(ctx, 503, "PostgreSQL is not reachable, so " + forward.service().displayName()
                        + " cannot make changes now; retry once it is back");
                return;
            }
            forward(ctx, forward.service());
        } else if (target instanceof AdminPaths.GpuDevices gpus) {
            gpuDevices(ctx, gpus.id() == null ? null : decoded(gpus.id()));
        } else {
            error(ctx, 404, "no admin route " + ctx.request().method() + " " + ctx.normalizedPath()
                    + "; the admin API has models, model-evaluations, instances, workers, gpu-devices, "
                    + "model-files, placement-evaluations, scheduler, usage, users, api-keys and me");
        }
    }

    /** A path segment as the client meant it ({@code w-1%3A0} is {@code w-1:0}); malformed escapes stay as sent. */
    private static String decoded(String segment) {
        try {
            return URLDecoder.decode(segment.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return segment;
        }
    }

    private URI base(AdminPaths.Service service) {
        return service == AdminPaths.Service.REGISTRY ? registry : scheduler;
    }

    private RequestOptions options(AdminPaths.Service service, HttpMethod method, String pathAndQuery) {
        URI base = base(service);
        int port = base.getPort() > 0 ? base.getPort() : "https".equals(base.getScheme()) ? 443 : 80;
        return new RequestOptions().setMethod(method).setHost(base.getHost()).setPort(port)
                .setSsl("https".equals(base.getScheme())).setURI(pathAndQuery).setIdleTimeout(timeoutMillis);
    }

    private void forward(RoutingContext ctx, AdminPaths.Service service) {
        HttpServerRequest request = ctx.request();
        // the body waits until the service's connection is there to take it
        request.pause();
        String query = request.query();
        RequestOptions options = options(service, request.method(),
                ctx.normalizedPath() + (query == null ? "" : "?" + query));
        request.headers().forEach(header -> {
            if (!NOT_FORWARDED.contains(header.getKey().toLowerCase(Locale.ROOT))) {
                options.addHeader(header.getKey(), header.getValue());
            }
        });
        options.putHeader(HttpHeaders.AUTHORIZATION, authorization);
        String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        boolean hasBody = request.getHeader(HttpHeaders.TRANSFER_ENCODING) != null
                || (length != null && !length.equals("0"));
        if (length != null && request.getHeader(HttpHeaders.TRANSFER_ENCODING) == null) {
            options.putHeader(HttpHeaders.CONTENT_LENGTH, length);
        }
        HttpServerResponse response = ctx.response();
        client.request(options)
                .compose(serviceRequest -> {
                    response.closeHandler(ignored -> serviceRequest.reset());
                    if (hasBody) {
                        return serviceRequest.send(request);
                    }
                    request.resume();
                    return serviceRequest.send();
                })
                .onComplete(answered -> {
                    if (answered.succeeded()) {
                        relay(ctx, service, answered.result());
                    } else {
                        unreachable(ctx, service, answered.cause());
                    }
                });
    }

    private void relay(RoutingContext ctx, AdminPaths.Service service, HttpClientResponse answer) {
        HttpServerResponse response = ctx.response();
        if (response.closed()) {
            answer.request().reset();
            return;
        }
        response.setStatusCode(answer.statusCode());
        MultiMap headers = response.headers();
        answer.headers().forEach(header -> {
            if (!NOT_RETURNED.contains(header.getKey().toLowerCase(Locale.ROOT))) {
                headers.add(header.getKey(), header.getValue());
            }
        });
        if (answer.statusCode() == 503 && !headers.contains(HttpHeaders.RETRY_AFTER)) {
            headers.set(HttpHeaders.RETRY_AFTER, RETRY_AFTER_SECONDS);
        }
        String length = answer.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (length != null && answer.getHeader(HttpHeaders.TRANSFER_ENCODING) == null) {
            response.putHeader(HttpHeaders.CONTENT_LENGTH, length);
        } else {
            response.setChunked(true);
        }
        if (answer.statusCode() == 201 && AuditRecorder.wantsCreatedId(ctx)) {
            // a creation is small: read whole, so the audit log can name what was created
            answer.body().onSuccess(body -> {
                AuditRecorder.noteCreated(ctx, body.toString());
                response.end(body);
            }).onFailure(broken -> response.reset());
            return;
        }
        answer.pipeTo(response).onFailure(broken -> {
            if (!response.closed()) {
                LOG.warnf("%s broke off its answer to %s %s: %s", service.displayName(), ctx.request().method(),
                        ctx.normalizedPath(), broken.toString());
                // a truncated body must not look complete to the client
                response.reset();
            }
        });
    }

    private void unreachable(RoutingContext ctx, AdminPaths.Service service, Throwable cause) {
        ServiceFailure failure = ServiceFailure.of(service, base(service).toString(), cause, timeoutMillis);
        if (failure.retryLater()) {
            ctx.response().putHeader(HttpHeaders.RETRY_AFTER, RETRY_AFTER_SECONDS);
        }
        error(ctx, failure.status(), failure.message());
        LOG.warnf("Admin call %s %s: %s did not answer: %s", ctx.request().method(), ctx.normalizedPath(),
                service.displayName(), cause.toString());
    }

    private void gpuDevices(RoutingContext ctx, String id) {
        if (ctx.request().method() != HttpMethod.GET) {
            ctx.response().putHeader(HttpHeaders.ALLOW, "GET");
            error(ctx, 405, "GPU devices are read-only: only GET is allowed");
            return;
        }
        PageRequest page;
        try {
            page = id == null ? PageRequest.parse(ctx.request().getParam("page"), ctx.request().getParam("per_page"))
                    : null;
        } catch (dev.gpufleet.kit.http.ApiException e) {
            error(ctx, e.status().getStatusCode(), e.getMessage());
            return;
        }
        String workerId = ctx.request().getParam("worker_id");
        workers(1, new ArrayList<>()).onComplete(fetched -> {
            if (fetched.failed()) {
                if (fetched.cause() instanceof ServiceAnswer answer) {
                    send(ctx, answer.status, answer.body);
                } else {
                    unreachable(ctx, AdminPaths.Service.SCHEDULER, fetched.cause());
                }
                return;
            }
            List<GpuDevice> devices = GpuDevice.of(fetched.result());
            if (id != null) {
                devices.stream().filter(d -> d.id().equals(id)).findFirst().ifPresentOrElse(
                        d -> sendJson(ctx, 200, d),
                        () -> error(ctx, 404, "GPU device '" + id + "' not found; ids are <worker id>:<index>"));
                return;
            }
            List<GpuDevice> selected = workerId == null ? devices
                    : devices.stream().filter(d -> d.workerId().equals(workerId)).toList();
            sendJson(ctx, 200, PageView.slice(selected, page));
        });
    }

    /** A non-200 answer of the scheduler, handed to the client as it came. */
    private static final class ServiceAnswer extends RuntimeException {
        final int status;
        final Buffer body;

        ServiceAnswer(int status, Buffer body) {
            super("status " + status, null, false, false);
            this.status = status;
            this.body = body;
        }
    }

    /** Every worker, page after page of the scheduler's list. */
    private Future<List<JsonNode>> workers(int page, List<JsonNode> collected) {
        RequestOptions options = options(AdminPaths.Service.SCHEDULER, HttpMethod.GET,
                "/api/v1/workers?page=" + page + "&per_page=" + PageRequest.MAX_PER_PAGE)
                .putHeader(HttpHeaders.AUTHORIZATION, authorization)
                .putHeader(HttpHeaders.ACCEPT, "application/json");
        return client.request(options)
                .compose(HttpClientRequest::send)
                .compose(answer -> answer.body().map(body -> {
                    if (answer.statusCode() != 200) {
                        throw new ServiceAnswer(answer.statusCode(), body);
                    }
                    return body;
                }))
                .compose(body -> {
                    JsonNode list;
                    try {
                        list = json.readTree(body.getBytes());
                    } catch (java.io.IOException e) {
                        return Future.failedFuture(new IllegalStateException("the worker list is not JSON"));
                    }
                    list.path("items").forEach(collected::add);
                    long totalPages = list.path("pagination").path("total_pages").asLong(1);
                    return page < totalPages && list.path("items").size() > 0 ? workers(page + 1, collected)
                            : Future.succeededFuture(collected);
                });
    }

    private void sendJson(RoutingContext ctx, int status, Object body) {
        try {
            send(ctx, status, Buffer.buffer(json.writeValueAsBytes(body)));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render " + body.getClass().getSimpleName(), e);
        }
    }

    private void send(RoutingContext ctx, int status, Buffer body) {
        HttpServerResponse response = ctx.response();
        if (response.headWritten() || response.closed()) {
            return;
        }
        response.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(body);
    }

    private void error(RoutingContext ctx, int status, String message) {
        Response.Status known = Response.Status.fromStatusCode(status);
        sendJson(ctx, status, new ApiError(status, known == null ? "Error" : known.getReasonPhrase(), message));
    }
}
