package dev.gpufleet.gateway.auth;

import io.vertx.ext.web.RoutingContext;

/**
 * Who made a request, once authenticated: put on the Vert.x {@link RoutingContext} by the authentication filter
 * and read by routing, metering and the admin API.
 *
 * @param keyId    the API key's id (never the key itself)
 * @param userId   the key's owner
 * @param admin    may use the admin API ({@code /api/v1/**})
 * @param requestsPerMinute the key's own limit; 0 = unlimited
 * @param tokensPerMinute   the key's own limit; 0 = unlimited
 * @param userRequestsPerMinute the owner's limit, shared by all its keys; 0 = unlimited
 * @param userTokensPerMinute   the owner's limit, shared by all its keys; 0 = unlimited
 */
public record Caller(String keyId, String userId, String userName, boolean admin, int requestsPerMinute,
                     long tokensPerMinute, int userRequestsPerMinute, long userTokensPerMinute) {
    public static final String CONTEXT_KEY = "gpufleet.caller";
    public static final String CLUSTER = "cluster";

    /** A caller whose owner has no limits of its own. */
    public Caller(String keyId, String userId, String userName, boolean admin, int requestsPerMinute,
                  long tokensPerMinute) {
        this(keyId, userId, userName, admin, requestsPerMinute, tokensPerMinute, 0, 0);
    }

    /**
     * No key: what {@link #of} answers where the auth filter put no caller (tests that stand in for it). The
     * gateway's routes refuse the service token, so no request of a client runs as this.
     */
    public static final Caller CLUSTER_TOKEN = new Caller(CLUSTER, CLUSTER, CLUSTER, true, 0, 0);

    /** The caller of this request, as the auth filter found it; {@link #CLUSTER_TOKEN} where it put none. */
    public static Caller of(RoutingContext ctx) {
        Caller caller = ctx.get(CONTEXT_KEY);
        return caller == null ? CLUSTER_TOKEN : caller;
    }
}
