package dev.gpufleet.e2e.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The real CLI against the embedded stack, every subcommand: in-process through {@code Gpufleet.run} (exit status,
 * standard output and error captured as they are), and through the launcher script {@code ./gpufleet} as a
 * process. A tiny generated model is deployed first and deleted last.
 */
@ExtendWith(CliStack.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CliTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration RUNNING = Duration.ofSeconds(180);

    CliStack stack;

    @BeforeAll
    void deployTheTinyModel(CliStack stack) {
        this.stack = stack;
        // a path relative to the CLI's working directory (the stack's temp dir) is sent absolute
        CliStack.Result deployed = stack.cli("models", "deploy", "tiny", "--path", "tiny.gguf",
                "--backend-param", "--ctx-size=1024", "--wait", "--timeout", Long.toString(RUNNING.toSeconds()));
        assertEquals(0, deployed.code(), deployed.toString());
        assertTrue(deployed.out().startsWith("Model 'tiny' created: backend llama-box, 1 replica"), deployed.out());
        assertTrue(deployed.out().contains("Model 'tiny': 1 of 1 running."), deployed.out());
    }

    @Test
    @Order(1)
    void statusShowsWorkersGpusModelsAndInstances() throws Exception {
        CliStack.Result status = ok("status");
        assertTrue(status.out().contains("Gateway:   " + stack.gatewayUrl()), status.out());
        assertTrue(status.out().contains("Workers:   1: 1 READY"), status.out());
        assertTrue(status.out().contains("Instances: 1: 1 RUNNING"), status.out());
        assertTrue(status.out().matches("(?s).*NVIDIA GeForce RTX 4090\\s+24\\.0 GiB.*"), status.out());

        JsonNode json = json("status", "-o", "json");
        assertEquals(1, json.at("/workers/by_state/READY").asInt(), json.toString());
        assertEquals(1, json.at("/models/total").asInt(), json.toString());
        assertEquals(24L << 30, json.at("/gpus/0/memory_total_bytes").asLong(), json.toString());
        assertTrue(json.at("/gpus/0/memory_claimed_bytes").asLong() > 0, "the instance's claim: " + json);
    }

    @Test
    @Order(2)
    void modelsListAndShow() throws Exception {
        CliStack.Result list = ok("models", "list");
        assertTrue(list.out().startsWith("NAME "), list.out());
        assertTrue(list.out().matches("(?s).*\\ntiny\\s+1/1\\s+llama-box\\s+" + stack.modelFile + ".*"), list.out());
        JsonNode models = json("models", "list", "-o", "json");
        assertEquals(1, models.size());
        assertEquals("tiny", models.get(0).get("name").asText());

        CliStack.Result show = ok("models", "show", "tiny");
        assertTrue(show.out().contains("Replicas:     1 running of 1 wanted"), show.out());
        assertTrue(show.out().contains("Parameters:   --ctx-size=1024"), show.out());
        assertTrue(show.out().matches("(?s).*\\ntiny-[0-9a-f]{6}\\s+tiny\\s+RUNNING.*"), show.out());
        String id = json("models", "show", "tiny", "-o", "json").get("id").asText();
        assertEquals("tiny", json("models", "show", id, "-o", "json").get("name").asText(), "by id too");
    }

    @Test
    @Order(3)
    void evaluateSaysWhereAModelWouldGoOrWhyNot() throws Exception {
        CliStack.Result fits = ok("models", "evaluate", "another", "--path", stack.modelFile.toString());
        assertTrue(fits.out().contains("Fits:     yes"), fits.out());
        assertTrue(fits.out().matches("(?s).*Worker:\\s+\\S+.*"), fits.out());
        assertEquals(1, json("models", "list", "-o", "json").size(), "an evaluation creates nothing");

        CliStack.Result tooBig = stack.cli("models", "evaluate", "too-big", "--path", stack.modelFile.toString(),
                "--gpu", "nowhere:cuda:7");
        assertEquals(1, tooBig.code(), tooBig.toString());
        assertTrue(tooBig.out().contains("Fits:     no"), tooBig.toString());
        JsonNode result = JSON.readTree(stack.cli("models", "evaluate", "too-big", "--path",
                stack.modelFile.toString(), "--gpu", "nowhere:cuda:7", "-o", "json").out());
        assertFalse(result.get("compatible").asBoolean(), result.toString());
    }

    @Test
    @Order(4)
    void instancesListShowAndLogs() throws Exception {
        JsonNode instances = json("instances", "list", "-o", "json");
        assertEquals(1, instances.size(), instances.toString());
        String name = instances.get(0).get("name").asText();
        CliStack.Result list = ok("instances", "list", "--model", "tiny");
        assertTrue(list.out().contains(name) && list.out().contains("RUNNING"), list.out());
        CliStack.Result show = ok("instances", "show", name);
        assertTrue(show.out().contains("State:          RUNNING for"), show.out());
        assertTrue(show.out().contains("Placed because: "), show.out());
        assertEquals(name, json("instances", "show", instances.get(0).get("id").asText(), "-o", "json")
                .get("name").asText());

        CliStack.Result logs = ok("logs", name, "--tail", "5");
        assertFalse(logs.out().isBlank(), "the backend's log");
        assertTrue(logs.out().lines().count() <= 5, logs.out());
    }

    @Test
    @Order(5)
    void chatStreamsTheAnswerFromTheCommandLineOrStandardInput() throws Exception {
        CliStack.Result chat = awaitOk(() -> stack.cli(Map.of(), "", "chat", "tiny", "hello", "gpu", "--max-tokens",
                "8", "--seed", "1", "--stats"));
        assertFalse(chat.out().isBlank(), chat.toString());
        assertTrue(chat.err().matches("(?s)\\d+ prompt \\+ [1-8] completion tokens, first token after \\d+ ms.*"),
                chat.err());

        CliStack.Result piped = stack.cli(Map.of(), "a question from a pipe\n", "chat", "tiny", "--max-tokens", "4",
                "--no-stream");
        assertEquals(0, piped.code(), piped.toString());
        assertFalse(piped.out().isBlank(), piped.toString());

        JsonNode completion = JSON.readTree(ok("chat", "tiny", "hi", "--max-tokens", "4", "-o", "json").out());
        assertEquals("chat.completion", completion.get("object").asText(), completion.toString());

        CliStack.Result noPrompt = stack.cli("chat", "tiny");
        assertEquals(2, noPrompt.code(), noPrompt.toString());
        assertTrue(noPrompt.err().contains("PROMPT: give the message"), noPrompt.err());
    }

    @Test
    @Order(6)
    void usersKeysAndUsage() throws Exception {
        CliStack.Result created = ok("users", "create", "bob");
        assertTrue(created.out().startsWith("Created user bob (id "), created.out());
        assertTrue(ok("users", "list").out().matches("(?s).*\\sbob\\s+no\\s+active.*"), "bob listed");

        JsonNode key = json("keys", "create", "bobs-laptop", "--user", "bob", "--expires-in", "30d",
                "--requests-per-minute", "600", "-o", "json");
        String bobsKey = key.get("key").asText();
        String keyId = key.get("id").asText();
        Map<String, String> asBob = Map.of("GPUFLEET_API_KEY", bobsKey);

        // bob chats, may not administer, sees only his own keys
        CliStack.Result bobChats = awaitOk(() -> stack.cli(asBob, "", "chat", "tiny", "hi", "--max-tokens", "3"));
        assertFalse(bobChats.out().isBlank(), bobChats.toString());
        CliStack.Result bobAdministers = stack.cli(asBob, "", "models", "list");
        assertEquals(4, bobAdministers.code(), bobAdministers.toString());
        assertEquals("gpufleet: This route needs an admin user's key. (HTTP 403)\n", bobAdministers.err());
        JsonNode bobsKeys = JSON.readTree(stack.cli(asBob, "", "keys", "list", "-o", "json").out());
        assertEquals(1, bobsKeys.size(), bobsKeys.toString());

        // usage is counted per key and model; the table names the key
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            JsonNode usage = json("usage", "--key", keyId, "--days", "1", "-o", "json");
            assertEquals(1, usage.size(), usage.toString());
            assertEquals("tiny", usage.get(0).get("model").asText());
            assertTrue(usage.get(0).get("requests").asInt() >= 1, usage.toString());
        });
        CliStack.Result usage = ok("usage", "--model", "tiny");
        assertTrue(usage.out().contains("bobs-laptop (bob)"), usage.out());
        assertTrue(usage.out().matches("(?s).*\\ntotal\\s.*"), usage.out());

        CliStack.Result keys = ok("keys", "list", "--user", "bob");
        assertTrue(keys.out().contains("bobs-laptop") && keys.out().contains("active"), keys.out());
        assertTrue(ok("users", "disable", "bob").out().startsWith("User bob disabled"), "disabled");
        assertEquals(4, stack.cli(asBob, "", "chat", "tiny", "hi").code(), "a disabled user's key is refused");
        ok("users", "enable", "bob");
        awaitOk(() -> stack.cli(asBob, "", "chat", "tiny", "hi", "--max-tokens", "2"));

        CliStack.Result revoked = ok("keys", "revoke", "bobs-laptop");
        assertTrue(revoked.out().startsWith("Revoked API key 'bobs-laptop' (id " + keyId + ") of user bob"),
                revoked.out());
        CliStack.Result refused = stack.cli(asBob, "", "chat", "tiny", "hi");
        assertEquals(4, refused.code(), refused.toString());
        assertTrue(refused.err().startsWith("gpufleet: ") && refused.err().contains("(HTTP 401)"), refused.err());

        assertTrue(ok("users", "delete", "bob").out().startsWith("User bob deleted"), "deleted");
        assertEquals(3, stack.cli("users", "delete", "bob").code(), "no bob any more");
    }

    @Test
    @Order(7)
    void errorsExitWithWhatTheyMeanAndPrintTheServersMessage() throws Exception {
        CliStack.Result wrongKey = stack.cli(Map.of("GPUFLEET_API_KEY", "gpf_wrong"), "", "models", "list");
        assertEquals(4, wrongKey.code(), wrongKey.toString());
        assertTrue(wrongKey.err().startsWith("gpufleet: ") && wrongKey.err().endsWith("(HTTP 401)\n"), wrongKey.err());

        CliStack.Result unknownModel = stack.cli("models", "show", "no-such-model");
        assertEquals(3, unknownModel.code(), unknownModel.toString());
        assertEquals("gpufleet: no model named 'no-such-model' ('gpufleet models list' shows them)\n",
                unknownModel.err());
        CliStack.Result unknownId = stack.cli("models", "delete", "00000000-0000-0000-0000-000000000000");
        assertEquals(3, unknownId.code(), unknownId.toString());
        assertTrue(unknownId.err().contains("(HTTP 404)"), unknownId.err());
        CliStack.Result chatUnknown = stack.cli("chat", "no-such-model", "hi");
        assertEquals(3, chatUnknown.code(), chatUnknown.toString());
        assertTrue(chatUnknown.err().contains("no-such-model") && chatUnknown.err().contains("(HTTP 404)"),
                chatUnknown.err());
        assertEquals(3, stack.cli("logs", "no-such-instance").code());
        assertEquals(3, stack.cli("workers", "cordon", "no-such-worker").code());

        CliStack.Result invalid = stack.cli("models", "deploy", "bad", "--path", "/m.gguf", "--backend", "nope");
        assertEquals(2, invalid.code(), invalid.toString());
        assertTrue(invalid.err().contains("backend: must be one of"), invalid.err());
        CliStack.Result duplicate = stack.cli("models", "deploy", "tiny", "--path", stack.modelFile.toString());
        assertEquals(1, duplicate.code(), duplicate.toString());
        assertTrue(duplicate.err().contains("(HTTP 409)"), duplicate.err());
    }

    @Test
    @Order(8)
    void loginChecksTheKeyAndSavesItForLaterCommands() throws Exception {
        Path config = stack.dir.resolve("login/config");
        Map<String, String> env = Map.of("GPUFLEET_CONFIG", config.toString(), "GPUFLEET_GATEWAY_PORT", "9",
                "GPUFLEET_DATA_DIR", stack.dir.resolve("elsewhere").toString());
        CliStack.Result wrong = stack.cli(env, "", "login", "--server", stack.gatewayUrl(), "--api-key", "gpf_wrong");
        assertEquals(4, wrong.code(), wrong.toString());
        assertFalse(Files.exists(config), "nothing saved for a wrong key");

        CliStack.Result login = stack.cli(env, stack.adminKey() + "\n", "login", "--server", stack.gatewayUrl());
        assertEquals(0, login.code(), login.toString());
        assertTrue(login.out().startsWith("Logged in to " + stack.gatewayUrl() + " with an admin's key."), login.out());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(config)));
        // no server, no key, no local stack where these variables point: the config file's
        CliStack.Result list = stack.cli(env, "", "models", "list");
        assertEquals(0, list.code(), list.toString());
        assertTrue(list.out().contains("tiny"), list.out());
    }

    @Test
    @Order(9)
    void theLauncherScriptRunsTheCliAsAProcess() throws Exception {
        CliStack.Result list = script("models", "list");
        assertEquals(0, list.code(), list.toString());
        assertTrue(list.out().contains("tiny"), list.toString());
        assertEquals(3, script("models", "show", "nothing-here").code());
        assertEquals(2, script("models", "list", "--bogus").code());
        assertEquals(4, script("--api-key", "gpf_wrong", "workers", "list").code());
        int closed;
        try (ServerSocket socket = new ServerSocket(0)) {
            closed = socket.getLocalPort();
        }
        CliStack.Result down = script("--server", "http://127.0.0.1:" + closed, "status");
        assertEquals(1, down.code(), down.toString());
        assertEquals(1, down.err().lines().count(), down.err());
        assertTrue(down.err().contains("cannot reach the gateway"), down.err());

        // a followed log streams until the process is stopped
        String instance = json("instances", "list", "-o", "json").get(0).get("name").asText();
        Process follow = scriptProcess("logs", instance, "-f", "--tail", "1");
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(follow.getInputStream(),
                StandardCharsets.UTF_8))) {
            CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> {
                try {
                    return lines.readLine();
                } catch (IOException e) {
                    return null;
                }
            });
            assertTrue(first.get(60, TimeUnit.SECONDS) != null, "a line of the log");
            assertTrue(follow.isAlive(), "still following");
        } finally {
            follow.destroy();
            assertTrue(follow.waitFor(10, TimeUnit.SECONDS));
        }
    }

    @Test
    @Order(10)
    void workersCordonDrainAndUncordon() throws Exception {
        JsonNode workers = json("workers", "list", "-o", "json");
        assertEquals(1, workers.size(), workers.toString());
        String worker = workers.get(0).get("name").asText();
        assertTrue(ok("workers", "list").out().matches("(?s).*\\n" + worker + "\\s+READY\\s.*1 x NVIDIA GeForce RTX 4090.*"),
                "listed");
        CliStack.Result show = ok("workers", "show", worker);
        assertTrue(show.out().matches("(?s).*\\n\\s+0\\s+NVIDIA GeForce RTX 4090\\s+nvidia\\s+24\\.0 GiB.*"), show.out());

        assertEquals("Worker " + worker + " cordoned: nothing new is placed there (state MAINTENANCE).\n",
                ok("workers", "cordon", worker).out());
        assertTrue(ok("workers", "uncordon", worker).out().startsWith("Worker " + worker + " uncordoned"), "back");
        assertEquals("READY", json("workers", "show", worker, "-o", "json").get("state").asText());

        CliStack.Result drained = ok("workers", "drain", worker);
        assertEquals("Worker " + worker + " draining: cordoned, its instances move elsewhere (state MAINTENANCE "
                + "(draining)).\n", drained.out());
        ok("workers", "uncordon", worker);
        // with the drain stopped, the model runs on this worker again
        await().atMost(RUNNING).pollInterval(Duration.ofSeconds(1)).untilAsserted(() ->
                assertTrue(ok("models", "list").out().matches("(?s).*\\ntiny\\s+1/1\\s.*"), "tiny back"));
    }

    @Test
    @Order(11)
    void scaleAndDelete() throws Exception {
        CliStack.Result scaled = ok("models", "scale", "tiny", "0", "--wait");
        assertTrue(scaled.out().startsWith("Model 'tiny': replicas 1 -> 0."), scaled.out());
        assertEquals(0, json("instances", "list", "--model", "tiny", "-o", "json").size());
        assertEquals(0, json("models", "show", "tiny", "-o", "json").get("replicas").asInt());

        assertEquals("Model 'tiny' deleted; its instances are stopping.\n", ok("models", "delete", "tiny").out());
        assertEquals(3, stack.cli("models", "show", "tiny").code());
        assertTrue(ok("models", "list").out().startsWith("No models."), "none left");
    }

    private CliStack.Result ok(String... args) {
        CliStack.Result result = stack.cli(args);
        assertEquals(0, result.code(), String.join(" ", args) + ": " + result);
        return result;
    }

    private JsonNode json(String... args) throws IOException {
        return JSON.readTree(ok(args).out());
    }

    /** Chat right after a change may meet the gateway before it heard of it over Kafka: retry until it answers. */
    private static CliStack.Result awaitOk(java.util.function.Supplier<CliStack.Result> run) {
        return await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).until(() -> {
            return run.get();
        }, r -> r.code() == 0);
    }

    private Process scriptProcess(String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of("bash", stack.root.resolve("gpufleet").toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(stack.dir.toFile());
        builder.environment().keySet().removeIf(k -> k.startsWith("GPUFLEET_"));
        builder.environment().putAll(stack.env());
        return builder.start();
    }

    private CliStack.Result script(String... args) throws Exception {
        Process process = scriptProcess(args);
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(process.getErrorStream()));
        String out = read(process.getInputStream());
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), "gpufleet " + String.join(" ", args) + " ended");
        return new CliStack.Result(process.exitValue(), out, err.get());
    }

    private static String read(java.io.InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return e.toString();
        }
    }
}
