package dev.gpufleet.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

@Command(mixinStandardHelpOptions = true, name = "usage", description = {"Requests and tokens per key, model and UTC day (admins).",
        "e.g. gpufleet usage --days 7 --model demo"})
final class UsageCommand extends BaseCommand {
    @Option(names = {"-k", "--key"}, paramLabel = "KEY", description = "Only this key's (id, or a name one key has).")
    String key;

    @Option(names = {"-m", "--model"}, paramLabel = "MODEL", description = "Only this model's (its name).")
    String model;

    @Option(names = "--from", paramLabel = "DAY", description = "From this UTC day on (YYYY-MM-DD).")
    String from;

    @Option(names = "--to", paramLabel = "DAY", description = "Up to this UTC day (YYYY-MM-DD).")
    String to;

    @Option(names = "--days", paramLabel = "N", description = "The last N UTC days, today included (instead of --from).")
    Integer days;

    UsageCommand(Context ctx) {
        super(ctx);
    }

    @Override
    public Integer call() {
        if (days != null && from != null) {
            throw usage("--days and --from: give one of them");
        }
        if (days != null && days < 1) {
            throw usage("--days: must be 1 or more, was " + days);
        }
        StringBuilder query = new StringBuilder("/api/v1/usage?");
        if (key != null) {
            query.append("key_id=").append(Api.encode(Json.text(lookup().key(key), "id"))).append('&');
        }
        if (model != null) {
            query.append("model=").append(Api.encode(model)).append('&');
        }
        String fromDay = days != null ? LocalDate.now(ZoneOffset.UTC).minusDays(days - 1L).toString()
                : day("--from", from);
        if (fromDay != null) {
            query.append("from=").append(fromDay).append('&');
        }
        if (to != null) {
            query.append("to=").append(day("--to", to)).append('&');
        }
        List<JsonNode> rows = api().list(query.substring(0, query.length() - 1));
        if (json()) {
            printJson(Json.array(rows));
            return ExitCodes.OK;
        }
        Map<String, String> keyNames = new HashMap<>();
        api().list("/api/v1/api-keys").forEach(k -> keyNames.put(Json.text(k, "id"),
                Json.text(k, "name") + " (" + Json.text(k, "user_name") + ")"));
        Table table = new Table("DAY", "KEY", "MODEL", "REQUESTS", "PROMPT TOKENS", "COMPLETION TOKENS",
                "TOTAL TOKENS").right("REQUESTS", "PROMPT TOKENS", "COMPLETION TOKENS", "TOTAL TOKENS");
        long requests = 0;
        long prompt = 0;
        long completion = 0;
        for (JsonNode r : rows) {
            String keyId = Json.text(r, "key_id");
            table.row(Json.text(r, "day"), keyNames.getOrDefault(keyId, keyId), Json.text(r, "model"),
                    Format.count(r.path("requests").asLong()), Format.count(r.path("prompt_tokens").asLong()),
                    Format.count(r.path("completion_tokens").asLong()), Format.count(r.path("total_tokens").asLong()));
            requests += r.path("requests").asLong();
            prompt += r.path("prompt_tokens").asLong();
            completion += r.path("completion_tokens").asLong();
        }
        if (rows.isEmpty()) {
            out().println("No usage recorded" + (fromDay != null || to != null || key != null || model != null
                    ? " for these filters." : " yet."));
            return ExitCodes.OK;
        }
        table.row("total", null, null, Format.count(requests), Format.count(prompt), Format.count(completion),
                Format.count(prompt + completion));
        out().print(table.render());
        return ExitCodes.OK;
    }

    private String day(String option, String value) {
        if (value == null) {
            return null;
        }
        try {
            return LocalDate.parse(value.trim()).toString();
        } catch (DateTimeParseException e) {
            throw usage(option + ": must be a day as YYYY-MM-DD (UTC), was '" + value + "'");
        }
    }
}
