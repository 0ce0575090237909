package dev.gpufleet.cli;

import picocli.CommandLine;
import picocli.CommandLine.IFactory;
import picocli.CommandLine.ParameterException;

import java.io.PrintWriter;
import java.lang.reflect.Constructor;

/** Runs one command line and answers its exit status; {@link Main} exits with it, tests read it. */
public final class Gpufleet {
    private Gpufleet() {
    }

    public static int run(Context ctx, String... args) {
        CommandLine cli = commandLine(ctx);
        int code = cli.execute(args);
        ctx.out().flush();
        ctx.err().flush();
        return code;
    }

    static CommandLine commandLine(Context ctx) {
        CommandLine cli = new CommandLine(RootCommand.class, new ContextFactory(ctx));
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
