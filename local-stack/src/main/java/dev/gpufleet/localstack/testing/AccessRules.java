package dev.gpufleet.localstack.testing;

import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The one rule table of who may call what, for the authorisation matrix tests (the gateway's route test and the
 * end-to-end matrix over every service's OpenAPI document): each route, by where it is served and its path, has an
 * {@link Access}, and each access class says what each {@link Credential} gets. A route that no rule names has no
 * expected outcome, and the matrix tests fail on it: a new route must be given a rule here.
 */
public final class AccessRules {

    /** Where a route is served. */
    public enum Surface {
        /** The gateway's public port: /v1, /api/v1, the console. */
        GATEWAY,
        /** The internal services' main ports: model-registry, scheduler-service, the worker agents. */
        INTERNAL,
        /** Every component's management port: /q/metrics. */
        MANAGEMENT
    }

    /** Who may call a route. */
    public enum Access {
        /** Anyone: health, the console's page and assets (they hold no data). */
        PUBLIC,
        /** Any user's API key: the OpenAI routes, and the self-service part of the admin API (own keys, usage, me). */
        ANY_KEY,
        /** An admin user's API key. */
        ADMIN_KEY,
        /** The service token, on an internal service's own port. */
        SERVICE_TOKEN,
        /** The metrics token, on a management port. */
        METRICS_TOKEN
    }

    /** What a request carries. */
    public enum Credential {
        NONE, USER_KEY, ADMIN_KEY, SERVICE_TOKEN, METRICS_TOKEN
    }

    /** What a request must get: let through (anything but 401 and 403), or refused with that status. */
    public enum Outcome {
        ALLOWED, UNAUTHORIZED_401, FORBIDDEN_403;

        public boolean matches(int status) {
            return switch (this) {
                case ALLOWED -> status != 401 && status != 403;
                case UNAUTHORIZED_401 -> status == 401;
                case FORBIDDEN_403 -> status == 403;
            };
        }
    }

    private record Rule(Surface surface, Pattern path, Access access) {
    }

    private static Rule rule(Surface surface, String pathRegex, Access access) {
        return new Rule(surface, Pattern.compile(pathRegex), access);
    }

    /** First match wins. Paths as the OpenAPI documents and the Vert.x routes write them ({id} for parameters). */
    private static final List<Rule> RULES = List.of(
            rule(Surface.GATEWAY, "/q/health(/.*)?", Access.PUBLIC),
            rule(Surface.GATEWAY, "/", Access.PUBLIC),
            rule(Surface.GATEWAY, "/console/.+", Access.PUBLIC),
            rule(Surface.GATEWAY, "/v1/.+", Access.ANY_KEY),
            rule(Surface.GATEWAY, "/api/v1/(me|usage|api-keys)(/.*)?", Access.ANY_KEY),
            rule(Surface.GATEWAY, "/api/v1/.+", Access.ADMIN_KEY),
            rule(Surface.GATEWAY, "/q/.+", Access.ADMIN_KEY),
            rule(Surface.INTERNAL, "/q/health(/.*)?", Access.PUBLIC),
            rule(Surface.INTERNAL, "/api/v1/.+", Access.SERVICE_TOKEN),
            rule(Surface.INTERNAL, "/q/.+", Access.SERVICE_TOKEN),
            rule(Surface.MANAGEMENT, "/q/metrics", Access.METRICS_TOKEN));

    private AccessRules() {
    }

    /** The access class of a route; empty when no rule names it (a new route needs one). */
    public static Optional<Access> access(Surface surface, String path) {
        return RULES.stream().filter(r -> r.surface() == surface && r.path().matcher(path).matches())
                .map(Rule::access).findFirst();
    }

    /** What {@code credential} must get on a route of class {@code access}. */
    public static Outcome expected(Access access, Credential credential) {
        return switch (access) {
            case PUBLIC -> Outcome.ALLOWED;
            case ANY_KEY -> switch (credential) {
                case USER_KEY, ADMIN_KEY -> Outcome.ALLOWED;
                case SERVICE_TOKEN -> Outcome.FORBIDDEN_403;
                case NONE, METRICS_TOKEN -> Outcome.UNAUTHORIZED_401;
            };
            case ADMIN_KEY -> switch (credential) {
                case ADMIN_KEY -> Outcome.ALLOWED;
                case USER_KEY, SERVICE_TOKEN -> Outcome.FORBIDDEN_403;
                case NONE, METRICS_TOKEN -> Outcome.UNAUTHORIZED_401;
            };
            case SERVICE_TOKEN -> credential == Credential.SERVICE_TOKEN ? Outcome.ALLOWED : Outcome.UNAUTHORIZED_401;
            case METRICS_TOKEN -> credential == Credential.METRICS_TOKEN ? Outcome.ALLOWED : Outcome.UNAUTHORIZED_401;
        };
    }
}
