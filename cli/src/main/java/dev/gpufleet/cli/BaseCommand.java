package dev.gpufleet.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Callable;

/** What every command has: the run's {@link Context}, the resolved settings and the API client. */
abstract class BaseCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    protected final Context ctx;
    private Settings settings;
    private Api api;
    private Lookup lookup;

    protected BaseCommand(Context ctx) {
        this.ctx = ctx;
    }

    RootCommand root() {
        return (RootCommand) spec.root().userObject();
    }

    Settings settings() {
        if (settings == null) {
            settings = Settings.resolve(root().server, root().apiKey, ctx.env(),
                    ConfigFile.read(Settings.configFile(ctx.env(), ctx.userHome())), adminKeyFile(),
                    BaseCommand::readKeyFile);
        }
        return settings;
    }

    Path adminKeyFile() {
        return Settings.adminKeyFile(ctx.env(), ctx.home());
    }

    Api api() {
        if (api == null) {
            api = new Api(settings(), Settings.noKeyHelp(settings().server(), adminKeyFile()));
        }
        return api;
    }

    Lookup lookup() {
        if (lookup == null) {
            lookup = new Lookup(api());
        }
        return lookup;
    }

    boolean json() {
        return root().output == RootCommand.Output.json;
    }

    PrintStream out() {
        return ctx.out();
    }

    void printJson(JsonNode node) {
        ctx.out().println(Json.pretty(node));
    }

    Instant now() {
        return Instant.now();
    }

    ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    static Optional<String> readKeyFile(Path file) {
        try {
            return Files.isReadable(file) ? Optional.of(Files.readString(file, StandardCharsets.UTF_8))
                    : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
