package dev.gpufleet.cli;

import picocli.CommandLine.Command;

import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

@Command(mixinStandardHelpOptions = true, name = "login", description = {"Checks a server and key and saves them in the config file (mode 600) for later commands.",
        "e.g. gpufleet login --server https://gpufleet.example.com   (asks for the key)",
        "The file: GPUFLEET_CONFIG, else $XDG_CONFIG_HOME/gpufleet/config, else ~/.config/gpufleet/config."})
final class LoginCommand extends BaseCommand {

    LoginCommand(Context ctx) {
        super(ctx);
    }

    @Override
    public Integer call() throws IOException {
        String server = settings().server();
        String key = root().apiKey != null ? root().apiKey.trim() : ctx.env().get("GPUFLEET_API_KEY");
        if (key == null || key.isBlank()) {
            key = askForKey(server);
        }
        if (key == null || key.isBlank()) {
            throw usage("no API key: give --api-key, set GPUFLEET_API_KEY, or type it when asked");
        }
        Api check = new Api(new Settings(server, key.trim(), "login"), "");
        // any user's key may list its own keys; an admin's may also list users
        check.get("/api/v1/api-keys?per_page=1");
        boolean admin;
        try {
            check.get("/api/v1/users?per_page=1");
            admin = true;
        } catch (CliException e) {
            if (e.exitCode() != ExitCodes.UNAUTHORIZED) {
                throw e;
            }
            admin = false;
        }
        Path file = Settings.configFile(ctx.env(), ctx.userHome());
        ConfigFile.write(file, server, key.trim());
        if (json()) {
            printJson(Json.object().put("server", server).put("admin", admin).put("config", file.toString()));
        } else {
            out().printf("Logged in to %s with %s key. Saved to %s (mode 600).%n", server,
                    admin ? "an admin's" : "a user's", file);
        }
        return ExitCodes.OK;
    }

    private String askForKey(String server) throws IOException {
        Console console = System.console();
        if (console != null && ctx.stdinIsTerminal()) {
            char[] typed = console.readPassword("API key for %s: ", server);
            return typed == null ? null : new String(typed);
        }
        return new BufferedReader(new InputStreamReader(ctx.in(), StandardCharsets.UTF_8)).readLine();
    }
}
