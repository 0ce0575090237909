package dev.gpufleet.cli;

import picocli.CommandLine;
import picocli.CommandLine.IFactory;
import picocli.CommandLine.ParameterException;

import java.io.PrintWriter;
import java.lang.reflect.Constructor;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Runs one command line and answers its exit status; {@link Main} exits with it, tests read it. */
public final class Gpufleet {
    private Gpufleet() {
    }

    public static int run(Context ctx, String... args) {
        CommandLine cli = commandLine(ctx, args);
        int code = cli.execute(args);
        ctx.out().flush();
        ctx.err().flush();
        return code;
    }

    /** The subcommands, in the order help lists them. */
    static final Map<String, Class<?>> COMMANDS = commands();
    /** The root's options that take a value, to find the subcommand's name among the arguments. */
    private static final Set<String> OPTIONS_WITH_VALUES = Set.of("--server", "--api-key", "-o", "--output");

    private static Map<String, Class<?>> commands() {
        return GroupCommand.ordered("status", StatusCommand.class, "models", ModelsCommand.class,
                "instances", InstancesCommand.class, "logs", LogsCommand.class, "workers", WorkersCommand.class,
                "keys", KeysCommand.class, "users", UsersCommand.class, "usage", UsageCommand.class,
                "chat", ChatCommand.class, "login", LoginCommand.class, "completion", CompletionCommand.class);
    }

    /** The groups' subcommands ({@code models list}, ...). */
    private static final Map<String, Map<String, Class<?>>> GROUPS = Map.of(
            "models", ModelsCommand.SUBCOMMANDS, "instances", InstancesCommand.SUBCOMMANDS,
            "workers", WorkersCommand.SUBCOMMANDS, "keys", KeysCommand.SUBCOMMANDS, "users", UsersCommand.SUBCOMMANDS);


    /** Every command, as help and the completion script need them. */
    static CommandLine commandLine(Context ctx) {
        return commandLine(ctx, List.of());
    }

    /**
     * Only the command the arguments name (and of a group only the subcommand they name), when they name one:
     * picocli builds each command's model by reflection when it is registered, and building all of them cost a
     * fresh JVM more than running the one asked for (bench/README.md, cli). Every command otherwise.
     */
    static CommandLine commandLine(Context ctx, String... args) {
        List<String> named = commandNames(args);
        return commandLine(ctx, named.contains("completion") ? List.of() : named);
    }

    /**
     * The known command names among the arguments that are no option nor an option's value, in order: the command
     * and, for a group, its subcommand; fewer when the arguments name fewer (or something unknown).
     */
    static List<String> commandNames(String... args) {
        List<String> names = new java.util.ArrayList<>();
        Map<String, ? extends Object> known = COMMANDS;
        for (int i = 0; i < args.length && known != null; i++) {
            String arg = args[i];
            if (OPTIONS_WITH_VALUES.contains(arg)) {
                i++;
            } else if (!arg.startsWith("-")) {
                if (!known.containsKey(arg)) {
                    break;
                }
                names.add(arg);
                known = names.size() == 1 ? GROUPS.get(arg) : null;
            }
        }
        return names;
    }

    private static CommandLine commandLine(Context ctx, List<String> named) {
        ContextFactory factory = new ContextFactory(ctx);
        CommandLine cli = new CommandLine(RootCommand.class, factory);
        for (Map.Entry<String, Class<?>> command : COMMANDS.entrySet()) {
            if (!named.isEmpty() && !named.get(0).equals(command.getKey())) {
                continue;
            }
            CommandLine sub = new CommandLine(command.getValue(), factory);
            Map<String, Class<?>> group = GROUPS.getOrDefault(command.getKey(), Map.of());
            for (Map.Entry<String, Class<?>> subcommand : group.entrySet()) {
                if (named.size() < 2 || named.get(1).equals(subcommand.getKey())) {
                    sub.addSubcommand(subcommand.getKey(), new CommandLine(subcommand.getValue(), factory));
                }
            }
            cli.addSubcommand(command.getKey(), sub);
        }
        cli.setOut(new PrintWriter(ctx.out(), true));
        cli.setErr(new PrintWriter(ctx.err(), true));
        cli.setParameterExceptionHandler(Gpufleet::usageError);
        cli.setExecutionExceptionHandler((e, command, parsed) -> failure(ctx, e));
        return cli;
    }

    /** A usage error: the message (picocli's names the option or parameter) and where help is, exit status 2. */
    private static int usageError(ParameterException e, String[] args) {
        CommandLine command = e.getCommandLine();
        PrintWriter err = command.getErr();
        String message = e.getMessage();
        if (e instanceof CommandLine.UnmatchedArgumentException unmatched && !command.getSubcommands().isEmpty()
                && !unmatched.getUnmatched().isEmpty() && !unmatched.getUnmatched().get(0).startsWith("-")) {
            message = "unknown command '" + unmatched.getUnmatched().get(0) + "' for '"
                    + command.getCommandSpec().qualifiedName() + "'";
        }
        err.println("gpufleet: " + message);
        CommandLine.UnmatchedArgumentException.printSuggestions(e, err);
        err.println("Try '" + command.getCommandSpec().qualifiedName() + " --help'.");
        err.flush();
        return ExitCodes.USAGE;
    }

    private static int failure(Context ctx, Exception e) throws Exception {
        if (e instanceof CliException failure) {
            ctx.err().println("gpufleet: " + failure.getMessage());
            return failure.exitCode();
        }
        if (e instanceof ParameterException usage) {
            return usageError(usage, new String[0]);
        }
        ctx.err().println("gpufleet: " + e);
        return ExitCodes.FAILED;
    }

    /** Gives each command the run's {@link Context} through its constructor. */
    private record ContextFactory(Context ctx) implements IFactory {
        @Override
        public <K> K create(Class<K> type) throws Exception {
            try {
                Constructor<K> withContext = type.getDeclaredConstructor(Context.class);
                withContext.setAccessible(true);
                return withContext.newInstance(ctx);
            } catch (NoSuchMethodException e) {
                return CommandLine.defaultFactory().create(type);
            }
        }
    }
}
