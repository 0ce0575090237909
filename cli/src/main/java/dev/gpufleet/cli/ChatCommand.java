package dev.gpufleet.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;

@Command(mixinStandardHelpOptions = true, name = "chat", description = {"Chats with a model through /v1/chat/completions, printing the answer as it streams.",
        "e.g. gpufleet chat demo 'Hello!'       echo 'Summarise: ...' | gpufleet chat demo"})
final class ChatCommand extends BaseCommand {
    @Parameters(index = "0", paramLabel = "MODEL", description = "The model's name.")
    String model;

    @Parameters(index = "1..*", paramLabel = "PROMPT", arity = "0..*",
            description = "The message (words are joined); none: read from standard input.")
    List<String> prompt;

    @Option(names = {"-s", "--system"}, paramLabel = "TEXT", description = "A system message first.")
    String system;

    @Option(names = "--max-tokens", paramLabel = "N", description = "At most this many tokens in the answer.")
    Integer maxTokens;

    @Option(names = "--temperature", paramLabel = "T")
    Double temperature;

    @Option(names = "--top-p", paramLabel = "P")
    Double topP;

    @Option(names = "--seed", paramLabel = "N")
    Long seed;

    @Option(names = "--no-stream", description = "Wait for the whole answer instead of streaming it.")
    boolean noStream;

    @Option(names = "--stats", description = "Print tokens and timings on standard error at the end.")
    boolean stats;

    ChatCommand(Context ctx) {
        super(ctx);
    }

    @Override
    public Integer call() throws IOException {
        String text = prompt == null || prompt.isEmpty() ? readStdin() : String.join(" ", prompt);
        if (text.isBlank()) {
            throw usage("PROMPT: give the message after the model, or on standard input");
        }
        ObjectNode request = Json.object().put("model", model);
        ArrayNode messages = request.putArray("messages");
        if (system != null) {
            messages.addObject().put("role", "system").put("content", system);
        }
        messages.addObject().put("role", "user").put("content", text);
        if (maxTokens != null) {
            request.put("max_tokens", maxTokens);
        }
        if (temperature != null) {
            request.put("temperature", temperature);
        }
        if (topP != null) {
            request.put("top_p", topP);
        }
        if (seed != null) {
            request.put("seed", seed);
        }
        long t0 = System.nanoTime();
        if (noStream || json()) {
            JsonNode answer = api().post("/v1/chat/completions", request);
            if (json()) {
                printJson(answer);
            } else {
                out().println(answer.at("/choices/0/message/content").asText());
            }
            printStats(answer.get("usage"), -1, System.nanoTime() - t0);
            return ExitCodes.OK;
        }
        request.put("stream", true);
        request.putObject("stream_options").put("include_usage", true);
        ChatStream stream = new ChatStream();
        long firstToken = -1;
        try (InputStream body = api().stream("POST", "/v1/chat/completions", request);
             BufferedReader lines = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
            String line;
            while (!stream.done() && (line = lines.readLine()) != null) {
                String piece = stream.onLine(line);
                if (!piece.isEmpty()) {
                    if (firstToken < 0) {
                        firstToken = System.nanoTime() - t0;
                    }
                    out().print(piece);
                    out().flush();
                }
            }
        }
        out().println();
        if (stream.error() != null) {
            throw CliException.failed(stream.error());
        }
        if (!stream.done()) {
            throw CliException.failed("the answer broke off before its end");
        }
        printStats(stream.usage(), firstToken, System.nanoTime() - t0);
        return ExitCodes.OK;
    }

    private void printStats(JsonNode usage, long firstTokenNanos, long totalNanos) {
        if (!stats) {
            return;
        }
        out().flush();
        StringBuilder line = new StringBuilder();
        if (usage != null) {
            line.append(String.format(Locale.ROOT, "%d prompt + %d completion tokens, ",
                    usage.path("prompt_tokens").asLong(), usage.path("completion_tokens").asLong()));
        }
        if (firstTokenNanos >= 0) {
            line.append(String.format(Locale.ROOT, "first token after %.0f ms, ", firstTokenNanos / 1e6));
        }
        line.append(String.format(Locale.ROOT, "%.2f s in all", totalNanos / 1e9));
        if (usage != null && totalNanos > 0) {
            line.append(String.format(Locale.ROOT, " (%.1f tokens/s)",
                    usage.path("completion_tokens").asLong() / (totalNanos / 1e9)));
        }
        ctx.err().println(line);
    }

    private String readStdin() throws IOException {
        if (ctx.stdinIsTerminal()) {
            ctx.err().println("Type the message; end it with Ctrl-D.");
        }
        return new String(ctx.in().readAllBytes(), StandardCharsets.UTF_8).strip();
    }
}
