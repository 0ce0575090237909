package dev.gpufleet.gateway.auth;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gpufleet.gateway.console.ConsoleRoutes;
import dev.gpufleet.gateway.health.DatabaseUnavailableMapper;
import dev.gpufleet.gateway.openai.OpenAiError;
import dev.gpufleet.kit.http.ApiError;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.vertx.http.runtime.filters.Filters;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * The gateway's door: every route but {@code /q/health*} and the web console's static files needs
 * {@code Authorization: Bearer <API key>}; the service token is refused with 403 ({@link Authenticator}). It replaces service-kit's ClusterTokenFilter here
 * (excluded in application.properties), puts the {@link Caller} on the routing context, keeps non-admins off
 * {@code /api/v1/**} (but for their own keys, usage and {@code /api/v1/me}) and
 * {@code /q/**}, and applies the caller's rate limits. Errors come in OpenAI's shape on {@code /v1}, as
 * {@code {code, reason, message}} elsewhere. Tokens are never logged. The forwarded OpenAI routes run ahead of this
 * filter and authenticate through {@link #admit} themselves.
 *
 * <p>Failed authentications are limited per client address ({@link FailedAuthLimits}): an address that used up its
 * failures is answered 429 before its key is looked up. A key that cannot be checked because the database is away
 * is answered 503 with {@code Retry-After}, never 401.
 */
@Singleton
public class AuthFilter implements TokenBudget {
    /** Runs before Quarkus' own handlers, including the /q endpoints (the kit filter's place). */
    public static final int PRIORITY = 10_000;
    /** Admin API paths any authenticated user may call; the resources show a non-admin only what is its own. */
    public static final List<String> SELF_SERVICE_PATHS = List.of("/api/v1/api-keys", "/api/v1/me",
            "/api/v1/usage");
    private static final String BEARER = "Bearer ";
    private static final Logger LOG = Logger.getLogger(AuthFilter.class);

    private final Authenticator authenticator;
    private final RateLimits limits = new RateLimits();
    private final FailedAuthLimits failures;
    private final Clock clock;
    private final ObjectMapper json;
    private final Counter refusedKeys;
    private final Counter limitedAddresses;
    private final dev.gpufleet.gateway.audit.RefusalAudit refusalAudit;

    public AuthFilter(Authenticator authenticator, Clock clock, ObjectMapper json, MeterRegistry meters,
                      @ConfigProperty(name = "gpufleet.gateway.auth.max-failures-per-minute", defaultValue = "30")
                      int maxFailuresPerMinute, dev.gpufleet.gateway.audit.RefusalAudit refusalAudit) {
        this.refusalAudit = refusalAudit;
        this.authenticator = authenticator;
        this.clock = clock;
        this.json = json;
        this.failures = new FailedAuthLimits(maxFailuresPerMinute);
        this.refusedKeys = Counter.builder("gpufleet.gateway.auth.failures")
                .description("Failed authentications: refused (401), or limited (429) for an address past its failures")
                .tag("outcome", "refused").register(meters);
        this.limitedAddresses = Counter.builder("gpufleet.gateway.auth.failures")
                .description("Failed authentications: refused (401), or limited (429) for an address past its failures")
                .tag("outcome", "limited").register(meters);
    }

    void onStart(@Observes StartupEvent ignored) {
        // eager: a bad service token setting fails the start, not the first request
    }

    void register(@Observes Filters filters) {
        filters.register(this::check, PRIORITY);
    }

    @Override
    public void charge(Caller caller, long tokens) {
        limits.charge(caller, tokens, clock.millis());
    }

    private void check(RoutingContext ctx) {
        String path = ctx.normalizedPath();
        if (isPublic(path)) {
            ctx.next();
            return;
        }
        admit(ctx, path, (admitted, caller) -> {
            admitted.put(Caller.CONTEXT_KEY, caller);
            admitted.next();
        });
    }

    /**
     * Authenticates the request and applies the caller's rate limits, then hands it and its {@link Caller} to
     * {@code admitted}, or answers 401, 403, 429 or 503 itself. {@code admitted} runs on the request's event loop;
     * if the key had to be loaded first, the request stays paused until it has run. For routes that run ahead of
     * this filter (the forwarded OpenAI routes) and so must authenticate themselves.
     */
    public void admit(RoutingContext ctx, String path, BiConsumer<RoutingContext, Caller> admitted) {
        admit(ctx, path, admitted, gone -> { });
    }

    /**
     * As above; {@code onClientGone} runs instead, on the request's event loop, if the client hung up while its key
     * was being loaded (no one is left to answer), so that the caller can count the request.
     */
    public void admit(RoutingContext ctx, String path, BiConsumer<RoutingContext, Caller> admitted,
                      Consumer<RoutingContext> onClientGone) {
        String header = ctx.request().getHeader(HttpHeaders.AUTHORIZATION);
        if (header == null || !header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            unauthenticated(ctx, path, "Missing API key: send 'Authorization: Bearer <key>'.");
            return;
        }
        String token = header.substring(BEARER.length()).trim();
        Authenticator.Outcome now = authenticator.decideNow(token);
        if (now != null) {
            proceed(ctx, path, now, admitted);
            return;
        }
        if (tooManyFailures(ctx, path)) {
            return;
        }
        // the key's row must come from the database: hold the body until a handler is there to read it
        Context context = Vertx.currentContext();
        ctx.request().pause();
        authenticator.decideLater(token).subscribe().with(
                outcome -> context.runOnContext(ignored -> afterLookup(ctx, onClientGone,
                        () -> proceed(ctx, path, outcome, admitted))),
                failure -> context.runOnContext(ignored -> {
                    LOG.errorf("Could not check an API key: %s", failure.toString());
                    afterLookup(ctx, onClientGone, () -> unavailable(ctx, path,
                            "The gateway could not check the API key; retry shortly."));
                }));
    }

    /** The client's address has used up its failed authentications: 429, saying so, and true. */
    private boolean tooManyFailures(RoutingContext ctx, String path) {
        long retryAfter = failures.retryAfterSeconds(clientAddress(ctx), clock.millis());
        if (retryAfter == 0) {
            return false;
        }
        limitedAddresses.increment();
        ctx.response().putHeader(HttpHeaders.RETRY_AFTER, Long.toString(retryAfter));
        refuse(ctx, path, 429, "Too many failed authentications from this address; retry after " + retryAfter
                + " s.");
        return true;
    }

    /** 401, counted against the client's address; or 429 if the address has no failures left. */
    private void unauthenticated(RoutingContext ctx, String path, String message) {
        if (tooManyFailures(ctx, path)) {
            return;
        }
        failures.failed(clientAddress(ctx), clock.millis());
        refusedKeys.increment();
        refuse(ctx, path, 401, message);
    }

    private void unavailable(RoutingContext ctx, String path, String message) {
        ctx.response().putHeader(HttpHeaders.RETRY_AFTER, DatabaseUnavailableMapper.RETRY_AFTER_SECONDS);
        refuse(ctx, path, 503, message);
    }

    /** The public id of the well-formed API key the request carries (never its secret), or null. */
    private static String presentedKeyId(RoutingContext ctx) {
        String header = ctx.request().getHeader(HttpHeaders.AUTHORIZATION);
        if (header == null || !header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return null;
        }
        return ApiKeyFormat.parse(header.substring(BEARER.length()).trim()).map(ApiKeyFormat.Parsed::id)
                .orElse(null);
    }

    /** The connection's peer (or, behind a proxy that Quarkus is told to trust, the forwarded client). */
    private static String clientAddress(RoutingContext ctx) {
        io.vertx.core.net.SocketAddress address = ctx.request().remoteAddress();
        return address == null ? "unknown" : address.hostAddress();
    }

    /**
     * Once the key's row has come: {@code decide}, then the paused request reads on; unless the client hung up
     * meanwhile. Then there is no one to answer, and the request (its body, if it had all come, already dropped with
     * the connection) must not be handed on to be read: {@code onClientGone} counts it instead.
     */
    private static void afterLookup(RoutingContext ctx, Consumer<RoutingContext> onClientGone, Runnable decide) {
        if (ctx.response().closed()) {
            onClientGone.accept(ctx);
            return;
        }
        // resume first: the buffered body is delivered on a later turn of the event loop, so a handler that
        // pauses the request itself while it runs (the admin API's forwarding, until the service's connection is
        // there) keeps it paused; resumed after it, the body would be read with no one to take it
        ctx.request().resume();
        decide.run();
    }

    private void proceed(RoutingContext ctx, String path, Authenticator.Outcome outcome,
                         BiConsumer<RoutingContext, Caller> admitted) {
        if (outcome instanceof Authenticator.Refused refused) {
            unauthenticated(ctx, path, refused.message());
            return;
        }
        if (outcome instanceof Authenticator.Forbidden forbidden) {
            refuse(ctx, path, 403, forbidden.message());
            return;
        }
        if (outcome instanceof Authenticator.Unavailable unavailable) {
            unavailable(ctx, path, unavailable.message());
            return;
        }
        Caller caller = ((Authenticator.Allowed) outcome).caller();
        if (!caller.admin() && needsAdmin(path)) {
            refuse(ctx, path, 403, "This route needs an admin user's key.", caller);
            return;
        }
        long retryAfter = limits.admit(caller, clock.millis());
        if (retryAfter > 0) {
            ctx.response().putHeader(HttpHeaders.RETRY_AFTER, Long.toString(retryAfter));
            refuse(ctx, path, 429, "Rate limit reached for this API key (" + describeLimits(caller)
                    + "); retry after " + retryAfter + " s.");
            return;
        }
        admitted.accept(ctx, caller);
    }

    /**
     * Health, and the web console's page and assets ({@code /}, {@code /console/**}): they hold no data, and every
     * call the console makes for data is the API with the user's key.
     */
    static boolean isPublic(String path) {
        return path.equals("/q/health") || path.startsWith("/q/health/")
                || path.equals("/") || path.startsWith(ConsoleRoutes.ASSETS);
    }

    static boolean isOpenAi(String path) {
        return path.equals("/v1") || path.startsWith("/v1/");
    }

    /** Everything but the OpenAI surface and the self-service paths: the admin API, /q/metrics, /q/openapi. */
    static boolean needsAdmin(String path) {
        if (isOpenAi(path)) {
            return false;
        }
        for (String self : SELF_SERVICE_PATHS) {
            if (path.equals(self) || path.startsWith(self + "/")) {
                return false;
            }
        }
        return true;
    }

    private static String describeLimits(Caller caller) {
        String key = describe(caller.requestsPerMinute(), caller.tokensPerMinute());
        String user = describe(caller.userRequestsPerMinute(), caller.userTokensPerMinute());
        String shared = user.isEmpty() ? "" : "user '" + caller.userName() + "': " + user + ", shared by its keys";
        return key.isEmpty() ? shared : shared.isEmpty() ? key : key + "; " + shared;
    }

    private static String describe(int requestsPerMinute, long tokensPerMinute) {
        String requests = requestsPerMinute > 0 ? requestsPerMinute + " requests per minute" : "";
        String tokens = tokensPerMinute > 0 ? tokensPerMinute + " tokens per minute" : "";
        return requests.isEmpty() ? tokens : tokens.isEmpty() ? requests : requests + ", " + tokens;
    }

    private void refuse(RoutingContext ctx, String path, int status, String message) {
        refuse(ctx, path, status, message, null);
    }

    /** @param caller who called, when its key was valid (a 403); else null */
    private void refuse(RoutingContext ctx, String path, int status, String message, Caller caller) {
        if (status == 401 || status == 403) {
            refusalAudit.refused(ctx, path, status, message, caller, presentedKeyId(ctx));
        }
        Object body;
        if (isOpenAi(path)) {
            body = switch (status) {
                case 401 -> OpenAiError.of(message, OpenAiError.INVALID_REQUEST, null, "invalid_api_key");
                case 403 -> OpenAiError.of(message, OpenAiError.INVALID_REQUEST, null, "insufficient_permissions");
                case 429 -> OpenAiError.of(message, "requests", null, "rate_limit_exceeded");
                default -> OpenAiError.of(message, "api_error", null, "auth_unavailable");
            };
        } else {
            io.netty.handler.codec.http.HttpResponseStatus reason =
                    io.netty.handler.codec.http.HttpResponseStatus.valueOf(status);
            body = new ApiError(status, reason.reasonPhrase(), message);
        }
        if (status == 401) {
            ctx.response().putHeader("WWW-Authenticate", "Bearer");
        }
        try {
            ctx.response().setStatusCode(status)
                    .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                    .end(json.writeValueAsString(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render " + body, e);
        }
    }
}
