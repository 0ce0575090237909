package dev.gpufleet.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The CLI run in-process without a gateway: help, usage errors, a missing key, a server that is down. */
class GpufleetTest {
    @TempDir
    Path home;

    record Result(int code, String out, String err) {
    }

    Result run(Map<String, String> env, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Map<String, String> environment = new HashMap<>(env);
        environment.putIfAbsent("GPUFLEET_CONFIG", home.resolve("config").toString());
        int code = Gpufleet.run(new Context(environment, home, home, home, new ByteArrayInputStream(new byte[0]),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                false), args);
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void everyCommandHasHelp() {
        List<List<String>> paths = new ArrayList<>();
        collect(Gpufleet.commandLine(new Context(Map.of(), home, home, home, null, System.out, System.err, false)),
                new ArrayList<>(), paths);
        assertTrue(paths.size() >= 30, "commands: " + paths);
        for (List<String> path : paths) {
            List<String> args = new ArrayList<>(path);
            args.add("--help");
            Result help = run(Map.of(), args.toArray(String[]::new));
            assertEquals(0, help.code(), path + ": " + help.err());
            assertTrue(help.out().startsWith("Usage: gpufleet"), path + ": " + help.out());
        }
        Result top = run(Map.of());
        assertEquals(0, top.code());
        assertTrue(top.out().contains("models") && top.out().contains("./gpufleet up"), top.out());
    }

    private static void collect(CommandLine command, List<String> path, List<List<String>> paths) {
        paths.add(List.copyOf(path));
        command.getSubcommands().forEach((name, sub) -> {
            if (!name.equals("help")) {
                List<String> deeper = new ArrayList<>(path);
                deeper.add(name);
                collect(sub, deeper, paths);
            }
        });
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "models list --replicas 2 | Unknown options: '--replicas', '2'",
            "models scale demo many | Invalid value for positional parameter at index 1 (REPLICAS): 'many' is not an int",
            "models show | Missing required parameter: 'MODEL'",
            "models deploy x --replicas | Missing required parameter for option '--replicas' (N)",
            "models | missing a subcommand: one of list, show, deploy, evaluate, scale, delete",
            "models list -o yaml | Invalid value for option '--output': expected one of [table, json]",
            "logs x --tail 0 | --tail: must be from 1 to 10000, was 0",
            "keys create k --expires-in 3y | --expires-in: must be a number and a unit",
            "usage --from yesterday | --from: must be a day as YYYY-MM-DD",
            "frobnicate | unknown command 'frobnicate' for 'gpufleet'",
            "models frobnicate | unknown command 'frobnicate' for 'gpufleet models'",
            "models deploy x | the model's source is missing"})
    void usageErrorsExitWith2AndNameTheOption(String args, String message) {
        Result result = run(Map.of("GPUFLEET_API_KEY", "k", "GPUFLEET_SERVER", "http://127.0.0.1:9"),
                args.split(" "));
        assertEquals(ExitCodes.USAGE, result.code(), result.err());
        assertTrue(result.err().contains(message), result.err());
        assertEquals("", result.out());
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            "models list | models,list",
            "--server http://x -o json models show demo | models,show",
            "-o json --api-key models models | models",
            "models --replicas 2 | models",
            "models frob | models",
            "chat demo hello | chat",
            "status -o json | status",
            "--help | ''",
            "frob models | ''",
            "logs list | logs"})
    void onlyTheNamedCommandIsBuilt(String args, String names) {
        assertEquals(names.isEmpty() ? List.of() : List.of(names.split(",")),
                Gpufleet.commandNames(args.split(" ")));
    }

    @Test
    void aServerThatIsDownIsOneLineAndExit1() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Result result = run(Map.of("GPUFLEET_API_KEY", "k"), "--server", "http://127.0.0.1:" + port,
                "models", "list");
        assertEquals(ExitCodes.FAILED, result.code());
        assertEquals("gpufleet: cannot reach the gateway at http://127.0.0.1:" + port + " (connection refused). Is it"
                + " running? './gpufleet up' starts the local one; --server or GPUFLEET_SERVER names another.\n",
                result.err());
    }

    @Test
    void noKeyAnywhereIsExit4SayingWhereOneComesFrom() {
        Result result = run(Map.of("GPUFLEET_SERVER", "http://127.0.0.1:9"), "workers", "list");
        assertEquals(ExitCodes.UNAUTHORIZED, result.code());
        assertTrue(result.err().startsWith("gpufleet: no API key for http://127.0.0.1:9: pass --api-key"),
                result.err());
        assertTrue(result.err().contains(home.resolve(".gpufleet/gateway/admin-api-key").toString()), result.err());
    }

    @Test
    void theCompletionScriptCompletesEveryCommand() {
        Result result = run(Map.of(), "completion");
        assertEquals(0, result.code(), result.err());
        assertTrue(result.out().contains("complete -F _complete_gpufleet"), result.out().substring(0, 300));
        for (String word : List.of("models", "deploy", "cordon", "revoke", "--huggingface", "--follow")) {
            assertTrue(result.out().contains(word), word);
        }
    }
}
