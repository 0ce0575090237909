package dev.gpufleet.gateway.console;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

/**
 * The web console: {@code GET /} is its page, {@code GET /console/<version>/<file>} its scripts and styles, all from
 * the gateway's jar ({@code src/main/resources/console}). The page holds no data and needs no key (the auth filter
 * lets exactly these paths through); everything it shows it asks the public API for, with the user's API key.
 * Assets of the current version may be kept for a year; the page is checked again on every load (its ETag is the
 * version). A strict Content-Security-Policy allows nothing but this origin: no inline script, no other host.
 */
@Singleton
public class ConsoleRoutes {
    /** Every asset's path starts so. */
    public static final String ASSETS = "/console/";
    static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; "
            + "img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; "
            + "frame-ancestors 'none'";
    static final String IMMUTABLE = "public, max-age=31536000, immutable";

    private final ConsoleAssets assets;

    public ConsoleRoutes() {
        ClassLoader loader = ConsoleRoutes.class.getClassLoader();
        this.assets = ConsoleAssets.load("console", loader::getResourceAsStream);
    }

    void register(@Observes Router router) {
        router.get("/").handler(this::page);
        router.getWithRegex("/console/([0-9a-f]+)/(.+)").handler(this::asset);
    }

    private void page(RoutingContext ctx) {
        String etag = "\"" + assets.version() + "\"";
        HttpServerResponse response = ctx.response();
        headers(response, "no-cache");
        response.putHeader(HttpHeaders.ETAG, etag)
                .putHeader("Content-Security-Policy", CONTENT_SECURITY_POLICY)
                .putHeader("X-Frame-Options", "DENY");
        if (etag.equals(ctx.request().getHeader(HttpHeaders.IF_NONE_MATCH))) {
            response.setStatusCode(304).end();
            return;
        }
        send(response, assets.index());
    }

    private void asset(RoutingContext ctx) {
        String version = ctx.pathParam("param0");
        String name = ctx.pathParam("param1");
        var found = assets.asset(name);
        if (found.isEmpty()) {
            ctx.response().setStatusCode(404).putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; charset=utf-8")
                    .end("No console file '" + name + "'.");
            return;
        }
        // another version's URL (a page loaded before an upgrade): today's file, but not to be kept
        headers(ctx.response(), version.equals(assets.version()) ? IMMUTABLE : "no-store");
        send(ctx.response(), found.get());
    }

    private static void headers(HttpServerResponse response, String cacheControl) {
        response.putHeader(HttpHeaders.CACHE_CONTROL, cacheControl)
                .putHeader("X-Content-Type-Options", "nosniff")
                .putHeader("Referrer-Policy", "no-referrer");
    }

    private static void send(HttpServerResponse response, ConsoleAssets.Asset asset) {
        response.putHeader(HttpHeaders.CONTENT_TYPE, asset.contentType()).end(Buffer.buffer(asset.body()));
    }
}
