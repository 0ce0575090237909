package dev.gpufleet.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

@Command(mixinStandardHelpOptions = true, name = "keys", description = "API keys: list, create, revoke. A user manages its own; an admin anyone's.")
final class KeysCommand extends GroupCommand {
    /** The subcommands, in the order help lists them (registered by {@link Gpufleet}, only the one named when one is). */
    static final java.util.Map<String, Class<?>> SUBCOMMANDS = GroupCommand.ordered(
            "list", ListKeys.class,
            "create", Create.class,
            "revoke", Revoke.class);

    private static final Pattern LIFETIME = Pattern.compile("(\\d+)([mhdw])");

    @Command(mixinStandardHelpOptions = true, name = "list", description = "Keys (never their secrets): yours, or with an admin's key every user's.")
    static final class ListKeys extends BaseCommand {
        @Option(names = {"-u", "--user"}, paramLabel = "USER", description = "Only this user's (name or id; admins).")
        String user;

        ListKeys(Context ctx) {
            super(ctx);
        }

        @Override
        public Integer call() {
            String path = "/api/v1/api-keys";
            if (user != null) {
                path += "?user_id=" + Api.encode(Json.text(lookup().user(user), "id"));
            }
            List<JsonNode> keys = api().list(path);
            if (json()) {
                printJson(Json.array(keys));
                return ExitCodes.OK;
            }
            Table table = new Table("ID", "NAME", "USER", "STATUS", "EXPIRES", "LAST USED", "REQ/MIN", "TOKENS/MIN")
                    .right("REQ/MIN", "TOKENS/MIN");
            for (JsonNode k : keys) {
                table.row(Json.text(k, "id"), Json.text(k, "name"), Json.text(k, "user_name"), Json.text(k, "status"),
                        Json.text(k, "expires_at"),
                        k.hasNonNull("last_used_at") ? Format.age(Json.text(k, "last_used_at"), now()) + " ago" : null,
                        limit(k.path("requests_per_minute").asLong()), limit(k.path("tokens_per_minute").asLong()));
            }
            out().print(keys.isEmpty() ? "No API keys.\n" : table.render());
            return ExitCodes.OK;
        }
    }

    @Command(mixinStandardHelpOptions = true, name = "create", description = {"Creates a key and prints it: this is the only time it is shown.",
            "e.g. gpufleet keys create ci --user alice --expires-in 30d --requests-per-minute 60"})
    static final class Create extends BaseCommand {
        @Parameters(paramLabel = "NAME", description = "What the key is for.")
        String name;

        @Option(names = {"-u", "--user"}, paramLabel = "USER",
                description = "For this user (name or id; admins); default: the caller's own user.")
        String user;

        @Option(names = "--expires-in", paramLabel = "LIFETIME", description = "e.g. 90m, 12h, 30d, 4w.")
        String expiresIn;

        @Option(names = "--expires-at", paramLabel = "INSTANT", description = "e.g. 2030-01-01T00:00:00Z.")
        String expiresAt;

        @Option(names = "--requests-per-minute", paramLabel = "N", description = "Rate limit (default: none).")
        Integer requestsPerMinute;

        @Option(names = "--tokens-per-minute", paramLabel = "N", description = "Token limit (default: none).")
        Long tokensPerMinute;

        Create(Context ctx) {
            super(ctx);
        }

        @Override
        public Integer call() {
            ObjectNode body = Json.object().put("name", name);
            if (expiresIn != null && expiresAt != null) {
                throw usage("--expires-in and --expires-at: give one of them");
            }
            if (expiresIn != null) {
                body.put("expires_at", now().plus(lifetime("--expires-in", expiresIn))
                        .truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString());
            }
            if (expiresAt != null) {
                try {
                    body.put("expires_at", Instant.parse(expiresAt).toString());
                } catch (DateTimeParseException e) {
                    throw usage("--expires-at: must be an ISO-8601 instant such as 2030-01-01T00:00:00Z, was '"
                            + expiresAt + "'");
                }
            }
            if (requestsPerMinute != null) {
                body.put("requests_per_minute", requestsPerMinute);
            }
            if (tokensPerMinute != null) {
                body.put("tokens_per_minute", tokensPerMinute);
            }
            if (user != null) {
                body.put("user_id", Json.text(lookup().user(user), "id"));
            }
            JsonNode key = api().post("/api/v1/api-keys", body);
            if (json()) {
                printJson(key);
            } else {
                out().printf("Created API key '%s' (id %s) for user %s%s. The key, shown this once:%n%n  %s%n%n",
                        Json.text(key, "name"), Json.text(key, "id"), Json.text(key, "user_name"),
                        key.hasNonNull("expires_at") ? ", expires " + Json.text(key, "expires_at") : "",
                        Json.text(key, "key"));
            }
            return ExitCodes.OK;
        }
    }

    @Command(mixinStandardHelpOptions = true, name = "revoke", description = "Revokes a key at once.")
    static final class Revoke extends BaseCommand {
        @Parameters(paramLabel = "KEY", description = "The key's id (or its name, when only one key has it).")
        String key;

        Revoke(Context ctx) {
            super(ctx);
        }

        @Override
        public Integer call() {
            JsonNode k = lookup().key(key);
            JsonNode revoked = api().post("/api/v1/api-keys/" + Api.encode(Json.text(k, "id")) + "/revoke",
                    Json.object());
            if (json()) {
                printJson(revoked);
            } else {
                out().printf("Revoked API key '%s' (id %s) of user %s.%n", Json.text(revoked, "name"),
                        Json.text(revoked, "id"), Json.text(revoked, "user_name"));
            }
            return ExitCodes.OK;
        }
    }

    /** 90m, 12h, 30d, 4w. */
    static Duration lifetime(String option, String text) {
        Matcher m = LIFETIME.matcher(text.trim().toLowerCase(Locale.ROOT));
        if (!m.matches() || Long.parseLong(m.group(1)) == 0) {
            throw CliException.usage(option + ": must be a number and a unit (m, h, d or w) such as 30d, was '"
                    + text + "'");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            case "d" -> Duration.ofDays(n);
            default -> Duration.ofDays(7 * n);
        };
    }

    private static String limit(long value) {
        return value == 0 ? "-" : Format.count(value);
    }
}
