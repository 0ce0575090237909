package dev.gpufleet.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.InputStream;

@Command(mixinStandardHelpOptions = true, name = "logs", description = "An instance's backend log, relayed from its worker; -f follows it.")
final class LogsCommand extends BaseCommand {
    @Parameters(paramLabel = "INSTANCE", description = "The instance's name or id.")
    String instance;

    @Option(names = {"-f", "--follow"}, description = "Keep printing lines as they come, until Ctrl-C.")
    boolean follow;

    @Option(names = "--tail", paramLabel = "N", defaultValue = "100",
            description = "How many of the last lines first, 1 to 10000 (default ${DEFAULT-VALUE}).")
    int tail;

    LogsCommand(Context ctx) {
        super(ctx);
    }

    @Override
    public Integer call() {
        if (tail < 1 || tail > 10_000) {
            throw usage("--tail: must be from 1 to 10000, was " + tail);
        }
        JsonNode i = lookup().instance(instance);
        String path = "/api/v1/instances/" + Api.encode(Json.text(i, "id")) + "/logs?tail=" + tail
                + (follow ? "&follow=true" : "");
        byte[] buffer = new byte[8192];
        try (InputStream log = api().stream("GET", path, null)) {
            int n;
            while ((n = log.read(buffer)) >= 0) {
                out().write(buffer, 0, n);
                out().flush();
            }
        } catch (IOException e) {
            throw CliException.failed("the log of " + Json.text(i, "name") + " broke off: " + e.getMessage());
        }
        return ExitCodes.OK;
    }
}
