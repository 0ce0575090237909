package dev.gpufleet.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.util.concurrent.Callable;

/** {@code gpufleet}: the options every subcommand takes, and the subcommands. */
@Command(name = "gpufleet", mixinStandardHelpOptions = true,
        versionProvider = RootCommand.Version.class,
        description = "Operates a gpufleet cluster through its gateway's public API (/api/v1 and /v1).",
        footer = {"", "./gpufleet up starts the local stack (Kafka, PostgreSQL, the services, one worker, a demo model).",
                "",
                "Server: --server, GPUFLEET_SERVER, the config file 'gpufleet login' writes, else http://127.0.0.1:8080.",
                "Key: --api-key, GPUFLEET_API_KEY, the config file (for its server), else the local stack's admin key.",
                "Exit status: 0 ok, 1 failed, 2 usage error or invalid request, 3 not found, 4 unauthorised."})
public final class RootCommand implements Callable<Integer> {

    public enum Output { table, json }

    @Option(names = "--server", scope = ScopeType.INHERIT, paramLabel = "URL",
            description = "The gateway, e.g. http://127.0.0.1:8080.")
    String server;

    @Option(names = "--api-key", scope = ScopeType.INHERIT, paramLabel = "KEY",
            description = "An API key (an admin's for most commands).")
    String apiKey;

    @Option(names = {"-o", "--output"}, scope = ScopeType.INHERIT, paramLabel = "FORMAT",
            description = "table (for people) or json (for scripts: the API's own objects). Default: table.")
    Output output = Output.table;

    @Spec
    CommandSpec spec;

    /** {@code gpufleet} alone: the help, as {@code --help} prints it. */
    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return ExitCodes.OK;
    }

    static final class Version implements picocli.CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = RootCommand.class.getPackage().getImplementationVersion();
            return new String[]{"gpufleet CLI " + (version == null ? "(development build)" : version)};
        }
    }
}
