package dev.gpufleet.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.NotFoundException;
import com.openai.errors.OpenAIServiceException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionChoice;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.completions.CompletionUsage;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.Embedding;
import com.openai.models.embeddings.EmbeddingCreateParams;
import com.openai.models.models.Model;

import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * OpenAI's official Java client, configured with nothing but the gateway's base URL and a key, against a running
 * stack whose model is served by a real llama.cpp backend with {@code --embeddings}. Every answer is validated
 * against the client's own model of OpenAI's API ({@code validate()} throws on a missing or mistyped field), then
 * checked for content.
 */
final class OpenAiClientChecks {
    private OpenAiClientChecks() {
    }

    static void run(String gatewayUrl, String token, String model) {
        OpenAIClient client = client(gatewayUrl, token);
        try {
            models(client, model);
            chat(client, model);
            streamedChat(client, model);
            completion(client, model);
            embeddings(client, model);
            errors(client, gatewayUrl, model);
        } finally {
            client.close();
        }
    }

    private static OpenAIClient client(String gatewayUrl, String apiKey) {
        return OpenAIOkHttpClient.builder().baseUrl(gatewayUrl + "/v1").apiKey(apiKey).build();
    }

    private static void models(OpenAIClient client, String model) {
        List<String> ids = client.models().list().data().stream().map(m -> m.validate().id()).toList();
        assertEquals(List.of(model), ids);
        Model one = client.models().retrieve(model).validate();
        assertEquals(model, one.id());
        assertTrue(one.created() > 0, one.toString());
    }

    private static ChatCompletionCreateParams.Builder chatParams(String model) {
        return ChatCompletionCreateParams.builder().model(model).addUserMessage("hello gpu").maxCompletionTokens(12)
                .temperature(0.0);
    }

    private static ChatCompletion chat(OpenAIClient client, String model) {
        ChatCompletion chat = client.chat().completions().create(chatParams(model).build()).validate();
        assertEquals(model, chat.model());
        assertEquals(1, chat.choices().size(), chat.toString());
        ChatCompletion.Choice choice = chat.choices().get(0);
        String text = choice.message().content().orElseThrow();
        assertFalse(text.isBlank(), chat.toString());
        CompletionUsage usage = chat.usage().orElseThrow();
        assertTokens(12, usage);
        assertEquals(usage.completionTokens() == 12 ? ChatCompletion.Choice.FinishReason.LENGTH
                : ChatCompletion.Choice.FinishReason.STOP, choice.finishReason(), chat.toString());
        return chat;
    }

    private static void streamedChat(OpenAIClient client, String model) {
        ChatCompletion whole = chat(client, model);

        List<ChatCompletionChunk> withUsage = stream(client, chatParams(model)
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build());
        ChatCompletionChunk last = withUsage.get(withUsage.size() - 1);
        CompletionUsage usage = last.usage().orElseThrow(() -> new AssertionError("no usage in the last chunk: "
                + last));
        assertTrue(last.choices().isEmpty(), "the usage chunk carries no choices: " + last);
        assertEquals(whole.usage().orElseThrow(), usage, "the same answer, the same usage");
        List<ChatCompletionChunk> content = withUsage.subList(0, withUsage.size() - 1);
        assertTrue(content.stream().noneMatch(c -> c.usage().isPresent()), "usage before the last chunk: " + content);
        assertStreamedAnswer(whole, content);

        // the gateway asks the backend for usage whatever the client said; a client that did not ask never sees it
        List<ChatCompletionChunk> plain = stream(client, chatParams(model).build());
        assertTrue(plain.stream().noneMatch(c -> c.usage().isPresent() || c.choices().isEmpty()),
                "a usage chunk the client did not ask for: " + plain);
        assertStreamedAnswer(whole, plain);
    }

    private static List<ChatCompletionChunk> stream(OpenAIClient client, ChatCompletionCreateParams params) {
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params)) {
            return stream.stream().map(ChatCompletionChunk::validate).collect(Collectors.toList());
        }
    }

    /** Several chunks of one answer that together say what the unstreamed answer said, the last with its reason. */
    private static void assertStreamedAnswer(ChatCompletion whole, List<ChatCompletionChunk> chunks) {
        assertTrue(chunks.size() >= 3, "expected several chunks, got " + chunks);
        assertEquals(1, chunks.stream().map(ChatCompletionChunk::id).distinct().count(), chunks.toString());
        String assembled = chunks.stream().flatMap(c -> c.choices().stream())
                .map(c -> c.delta().content().orElse("")).collect(Collectors.joining());
        ChatCompletion.Choice answer = whole.choices().get(0);
        assertEquals(answer.message().content().orElseThrow(), assembled,
                "the streamed text (temperature 0) is the unstreamed answer's");
        ChatCompletionChunk last = chunks.get(chunks.size() - 1);
        assertEquals(answer.finishReason().asString(), last.choices().get(0).finishReason()
                .orElseThrow(() -> new AssertionError("no finish_reason in the last chunk: " + last)).asString());
    }

    private static void completion(OpenAIClient client, String model) {
        Completion completion = client.completions().create(CompletionCreateParams.builder().model(model)
                .prompt("the gpu cluster").maxTokens(8).temperature(0.0).build()).validate();
        assertEquals(model, completion.model());
        assertEquals(1, completion.choices().size(), completion.toString());
        CompletionChoice choice = completion.choices().get(0);
        assertFalse(choice.text().isBlank(), completion.toString());
        CompletionUsage usage = completion.usage().orElseThrow();
        assertTokens(8, usage);
        assertEquals(usage.completionTokens() == 8 ? CompletionChoice.FinishReason.LENGTH
                : CompletionChoice.FinishReason.STOP, choice.finishReason(), completion.toString());
    }

    /** Usage of an answer of at most {@code maxTokens}. */
    private static void assertTokens(int maxTokens, CompletionUsage usage) {
        assertTrue(usage.promptTokens() > 0, usage.toString());
        assertTrue(usage.completionTokens() > 0 && usage.completionTokens() <= maxTokens, usage.toString());
        assertEquals(usage.promptTokens() + usage.completionTokens(), usage.totalTokens(), usage.toString());
    }

    private static void embeddings(OpenAIClient client, String model) {
        List<String> inputs = List.of("the gpu cluster", "an ocean of tokens", "the gpu cluster");
        CreateEmbeddingResponse response = client.embeddings().create(EmbeddingCreateParams.builder().model(model)
                .inputOfArrayOfStrings(inputs).build()).validate();
        assertEquals(model, response.model());
        List<Embedding> data = response.data();
        assertEquals(List.of(0L, 1L, 2L), data.stream().map(Embedding::index).toList());
        List<List<Float>> vectors = data.stream().map(Embedding::embedding).toList();
        int dimensions = vectors.get(0).size();
        assertTrue(dimensions > 1, vectors.toString());
        vectors.forEach(v -> assertEquals(dimensions, v.size()));
        assertTrue(vectors.get(0).stream().allMatch(Float::isFinite), vectors.get(0).toString());
        assertEquals(vectors.get(0), vectors.get(2), "the same input, the same vector");
        assertNotEquals(vectors.get(0), vectors.get(1), "different inputs, different vectors");
        assertTrue(response.usage().promptTokens() >= inputs.size(), response.usage().toString());
    }

    private static void errors(OpenAIClient client, String gatewayUrl, String model) {
        NotFoundException unknown = assertThrows(NotFoundException.class, () -> client.chat().completions()
                .create(chatParams("no-such-model").build()));
        assertOpenAiError(unknown, 404, "model_not_found", e -> assertTrue(
                errorMessage(e).contains("'no-such-model'"), e.body().toString()));
        assertEquals("model", unknown.param().orElse(null));
        assertOpenAiError(assertThrows(NotFoundException.class, () -> client.models().retrieve("no-such-model")),
                404, null, e -> { });

        OpenAIClient wrongKey = client(gatewayUrl, "gpustack_0123456789abcdef_wrong");
        try {
            assertOpenAiError(assertThrows(UnauthorizedException.class, () -> wrongKey.models().list()),
                    401, "invalid_api_key", e -> { });
            assertOpenAiError(assertThrows(UnauthorizedException.class, () -> wrongKey.chat().completions()
                    .create(chatParams(model).build())), 401, "invalid_api_key", e -> { });
        } finally {
            wrongKey.close();
        }
    }

    /** OpenAI's error shape: {@code {"error": {"message", "type", "param", "code"}}}, read by the client. */
    private static void assertOpenAiError(OpenAIServiceException e, int status, String code,
            Consumer<OpenAIServiceException> more) {
        assertEquals(status, e.statusCode(), e.getMessage());
        assertFalse(errorMessage(e).isBlank(), "error.message in " + e.body());
        assertTrue(e.type().filter(t -> !t.isBlank()).isPresent(), "error.type in " + e.body());
        if (code != null) {
            assertEquals(code, e.code().orElse(null), e.body().toString());
        }
        more.accept(e);
    }

    private static String errorMessage(OpenAIServiceException e) {
        JsonNode message = e.body().convert(JsonNode.class).path("message");
        assertTrue(message.isTextual(), "no error.message string in " + e.body());
        return message.asText();
    }
}
