package dev.gpufleet.llamacpp.openai;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gpufleet.llamacpp.engine.ChatMessage;
import dev.gpufleet.llamacpp.engine.Sampling;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/** Turns OpenAI request bodies into engine calls, refusing what cannot be served with a 400 naming the field. */
public final class OpenAiRequests {

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    public record ChatCompletion(List<ChatMessage> messages, Sampling sampling, boolean stream, boolean includeUsage) {}

    public record Completion(String prompt, Sampling sampling, boolean stream, boolean includeUsage) {}

    public record Embedding(List<String> inputs, boolean base64) {}

    /**
     * A rerank request (llama.cpp's and Jina's shape): {@code query}, {@code documents} (strings, or objects with
     * {@code text}), optional {@code top_n} and {@code return_documents}.
     *
     * @param topN how many results to answer, the most relevant first; all when not given
     */
    public record Rerank(String query, List<String> documents, int topN, boolean returnDocuments) {}

    private OpenAiRequests() {
    }

    public static JsonNode parseBody(byte[] body) throws ApiError {
        if (body.length == 0) {
            throw ApiError.badRequest("the request body is empty; send a JSON object");
        }
        JsonNode node;
        try {
            node = JSON.readTree(body);
        } catch (JsonProcessingException e) {
            throw ApiError.badRequest("the request body is not valid JSON: " + e.getOriginalMessage()
                    + " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")");
        } catch (java.io.IOException e) {
            throw ApiError.badRequest("the request body cannot be read: " + e.getMessage());
        }
        if (node == null || !node.isObject()) {
            throw ApiError.badRequest("the request body must be a JSON object");
        }
        return node;
    }

    public static ChatCompletion chatCompletion(JsonNode body) throws ApiError {
        commonChecks(body);
        JsonNode messages = body.get("messages");
        if (messages == null || messages.isNull()) {
            throw ApiError.badRequest("messages is required: an array of {role, content}");
        }
        if (!messages.isArray() || messages.isEmpty()) {
            throw ApiError.badRequest("messages must be a non-empty array of {role, content}");
        }
        List<ChatMessage> list = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            list.add(message(messages.get(i), "messages[" + i + "]"));
        }
        OptionalInt maxTokens = Fields.positiveInt(body, "max_completion_tokens");
        if (maxTokens.isEmpty()) {
            maxTokens = Fields.positiveInt(body, "max_tokens");
        }
        boolean stream = Fields.bool(body, "stream");
        return new ChatCompletion(List.copyOf(list), sampling(body, maxTokens), stream, includeUsage(body, stream));
    }

    public static Completion completion(JsonNode body) throws ApiError {
        commonChecks(body);
        for (String unsupported : List.of("suffix", "best_of")) {
            if (Fields.present(body, unsupported)) {
                throw ApiError.badRequest(unsupported + " is not supported");
            }
        }
        if (Fields.bool(body, "echo")) {
            throw ApiError.badRequest("echo is not supported; leave it out or set it to false");
        }
        JsonNode prompt = body.get("prompt");
        String text;
        if (prompt == null || prompt.isNull()) {
            throw ApiError.badRequest("prompt is required: a string");
        } else if (prompt.isTextual()) {
            text = prompt.textValue();
        } else if (prompt.isArray() && prompt.size() == 1 && prompt.get(0).isTextual()) {
            text = prompt.get(0).textValue();
        } else {
            throw ApiError.badRequest("prompt must be a string (or an array holding one string)");
        }
        boolean stream = Fields.bool(body, "stream");
        return new Completion(text, sampling(body, Fields.positiveInt(body, "max_tokens")), stream,
                includeUsage(body, stream));
    }

    public static Rerank rerank(JsonNode body) throws ApiError {
        JsonNode query = body.get("query");
        if (query == null || !query.isTextual() || query.textValue().isEmpty()) {
            throw ApiError.badRequest("query is required: a non-empty string");
        }
        JsonNode documents = body.get("documents");
        if (documents == null || !documents.isArray() || documents.isEmpty()) {
            throw ApiError.badRequest("documents is required: a non-empty array of strings (or of {\"text\": ...})");
        }
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < documents.size(); i++) {
            JsonNode document = documents.get(i);
            JsonNode text = document.isObject() ? document.get("text") : document;
            if (text == null || !text.isTextual() || text.textValue().isEmpty()) {
                throw ApiError.badRequest("documents[" + i + "] must be a non-empty string or {\"text\": a non-empty "
                        + "string}, got " + document);
            }
            texts.add(text.textValue());
        }
        int topN = texts.size();
        JsonNode top = body.get("top_n");
        if (top != null && !top.isNull()) {
            if (!top.canConvertToExactIntegral() || top.asInt() < 1) {
                throw ApiError.badRequest("top_n must be a whole number of at least 1, got " + top);
            }
            topN = Math.min(texts.size(), top.asInt());
        }
        JsonNode returnDocuments = body.get("return_documents");
        if (returnDocuments != null && !returnDocuments.isNull() && !returnDocuments.isBoolean()) {
            throw ApiError.badRequest("return_documents must be true or false, got " + returnDocuments);
        }
        return new Rerank(query.textValue(), List.copyOf(texts), topN,
                returnDocuments == null || returnDocuments.isNull() || returnDocuments.booleanValue());
    }

    public static Embedding embedding(JsonNode body) throws ApiError {
        JsonNode input = body.get("input");
        List<String> inputs = new ArrayList<>();
        if (input == null || input.isNull()) {
            throw ApiError.badRequest("input is required: a string or an array of strings");
        } else if (input.isTextual()) {
            inputs.add(input.textValue());
        } else if (input.isArray() && !input.isEmpty()) {
            for (int i = 0; i < input.size(); i++) {
                if (!input.get(i).isTextual()) {
                    throw ApiError.badRequest("input[" + i + "] must be a string, got " + input.get(i));
                }
                inputs.add(input.get(i).textValue());
            }
        } else {
            throw ApiError.badRequest("input must be a string or a non-empty array of strings");
        }
        for (int i = 0; i < inputs.size(); i++) {
            if (inputs.get(i).isEmpty()) {
                throw ApiError.badRequest((input.isArray() ? "input[" + i + "]" : "input") + " must not be empty");
            }
        }
        String format = Fields.string(body, "encoding_format").orElse("float");
        if (!format.equals("float") && !format.equals("base64")) {
            throw ApiError.badRequest("encoding_format must be 'float' or 'base64', got '" + format + "'");
        }
        return new Embedding(List.copyOf(inputs), format.equals("base64"));
    }

    private static void commonChecks(JsonNode body) throws ApiError {
        Fields.string(body, "model");
        if (Fields.present(body, "n")) {
            JsonNode n = body.get("n");
            if (!n.isIntegralNumber() || n.intValue() != 1) {
                throw ApiError.badRequest("n must be 1: this server returns one choice, got " + n);
            }
        }
        JsonNode logprobs = body.get("logprobs");
        if (logprobs != null && !logprobs.isNull() && !(logprobs.isBoolean() && !logprobs.booleanValue())) {
            throw ApiError.badRequest("logprobs is not supported; leave it out or set it to false");
        }
        if (Fields.present(body, "tools") && body.get("tools").size() > 0) {
            throw ApiError.badRequest("tools are not supported by this server");
        }
    }

    private static Sampling sampling(JsonNode body, OptionalInt maxTokens) throws ApiError {
        return new Sampling(maxTokens,
                Fields.number(body, "temperature", 0, 2),
                Fields.number(body, "top_p", 0, 1),
                Fields.number(body, "presence_penalty", -2, 2),
                Fields.number(body, "frequency_penalty", -2, 2),
                Fields.seed(body, "seed"),
                Fields.stop(body),
                Fields.bool(body, "ignore_eos"));
    }

    private static boolean includeUsage(JsonNode body, boolean stream) throws ApiError {
        JsonNode options = body.get("stream_options");
        if (options == null || options.isNull()) {
            return false;
        }
        if (!options.isObject()) {
            throw ApiError.badRequest("stream_options must be an object, got " + options);
        }
        if (!stream) {
            throw ApiError.badRequest("stream_options is only allowed with stream: true");
        }
        return Fields.bool(options, "include_usage");
    }

    private static ChatMessage message(JsonNode m, String where) throws ApiError {
        if (!m.isObject()) {
            throw ApiError.badRequest(where + " must be an object {role, content}, got " + m);
        }
        JsonNode role = m.get("role");
        if (role == null || !role.isTextual() || role.textValue().isBlank()) {
            throw ApiError.badRequest(where + ".role is required: a string such as system, user or assistant");
        }
        JsonNode content = m.get("content");
        String text;
        if (content == null || content.isNull()) {
            text = "";
        } else if (content.isTextual()) {
            text = content.textValue();
        } else if (content.isArray()) {
            StringBuilder sb = new StringBuilder();
            for (int j = 0; j < content.size(); j++) {
                JsonNode part = content.get(j);
                JsonNode type = part.get("type");
                if (type == null || !"text".equals(type.asText()) || !part.path("text").isTextual()) {
                    throw ApiError.badRequest(where + ".content[" + j + "] must be {\"type\":\"text\",\"text\":...}; "
                            + "this server takes text only");
                }
                sb.append(part.get("text").textValue());
            }
            text = sb.toString();
        } else {
            throw ApiError.badRequest(where + ".content must be a string or an array of text parts, got " + content);
        }
        return new ChatMessage(role.textValue(), text);
    }
}
