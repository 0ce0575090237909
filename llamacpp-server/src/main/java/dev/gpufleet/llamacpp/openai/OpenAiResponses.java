package dev.gpufleet.llamacpp.openai;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gpufleet.llamacpp.engine.Generation;
import dev.gpufleet.llamacpp.gguf.GgufSummary;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import java.util.List;

/** Builds OpenAI response bodies and stream chunks. */
public final class OpenAiResponses {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private OpenAiResponses() {
    }

    /** Identity shared by every chunk of one response. */
    public record Envelope(String id, long created, String model) {}

    public static ObjectNode health(boolean ready) {
        return NODES.objectNode().put("status", ready ? "ok" : "loading");
    }

    public static ObjectNode models(String modelId, long created, GgufSummary summary) {
        ObjectNode root = NODES.objectNode().put("object", "list");
        ObjectNode model = root.putArray("data").addObject()
                .put("id", modelId)
                .put("object", "model")
                .put("created", created)
                .put("owned_by", "llamacpp-server");
        ObjectNode meta = model.putObject("meta")
                .put("architecture", summary.architecture())
                .put("n_vocab", summary.vocabularySize())
                .put("n_params", summary.parameterCount())
                .put("size", summary.fileSize());
        summary.contextLength().ifPresent(v -> meta.put("n_ctx_train", v));
        summary.embeddingLength().ifPresent(v -> meta.put("n_embd", v));
        return root;
    }

    public static ObjectNode chatCompletion(Envelope e, Generation g) {
        ObjectNode root = base(e, "chat.completion");
        ObjectNode choice = root.putArray("choices").addObject().put("index", 0);
        choice.putObject("message").put("role", "assistant").put("content", g.text());
        choice.putNull("logprobs");
        choice.put("finish_reason", g.finishReason().openAiName);
        root.set("usage", usage(g));
        return root;
    }

    public static ObjectNode chatRoleChunk(Envelope e, boolean includeUsage) {
        return chatChunk(e, NODES.objectNode().put("role", "assistant").put("content", ""), null, includeUsage);
    }

    public static ObjectNode chatContentChunk(Envelope e, String piece, boolean includeUsage) {
        return chatChunk(e, NODES.objectNode().put("content", piece), null, includeUsage);
    }

    public static ObjectNode chatFinalChunk(Envelope e, Generation g, boolean includeUsage) {
        return chatChunk(e, NODES.objectNode(), g.finishReason().openAiName, includeUsage);
    }

    private static ObjectNode chatChunk(Envelope e, ObjectNode delta, String finishReason, boolean includeUsage) {
        ObjectNode root = base(e, "chat.completion.chunk");
        ObjectNode choice = root.putArray("choices").addObject().put("index", 0);
        choice.set("delta", delta);
        choice.putNull("logprobs");
        if (finishReason == null) {
            choice.putNull("finish_reason");
        } else {
            choice.put("finish_reason", finishReason);
        }
        if (includeUsage) {
            root.putNull("usage");
        }
        return root;
    }

    /** The extra last chunk that {@code stream_options.include_usage} asks for: no choices, only usage. */
    public static ObjectNode usageChunk(Envelope e, String object, Generation g) {
        ObjectNode root = base(e, object);
        root.putArray("choices");
        root.set("usage", usage(g));
        return root;
    }

    public static ObjectNode completion(Envelope e, Generation g) {
        ObjectNode root = base(e, "text_completion");
        root.putArray("choices").addObject()
                .put("index", 0)
                .put("text", g.text())
                .putNull("logprobs")
                .put("finish_reason", g.finishReason().openAiName);
        root.set("usage", usage(g));
        return root;
    }

    public static ObjectNode completionChunk(Envelope e, String piece, String finishReason, boolean includeUsage) {
        ObjectNode root = base(e, "text_completion");
        ObjectNode choice = root.putArray("choices").addObject().put("index", 0).put("text", piece);
        choice.putNull("logprobs");
        if (finishReason == null) {
            choice.putNull("finish_reason");
        } else {
            choice.put("finish_reason", finishReason);
        }
        if (includeUsage) {
            root.putNull("usage");
        }
        return root;
    }

    public static ObjectNode embeddings(String model, List<float[]> vectors, boolean base64, int promptTokens) {
        ObjectNode root = NODES.objectNode().put("object", "list");
        ArrayNode data = root.putArray("data");
        for (int i = 0; i < vectors.size(); i++) {
            ObjectNode item = data.addObject().put("object", "embedding").put("index", i);
            float[] v = vectors.get(i);
            if (base64) {
                ByteBuffer bytes = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                for (float f : v) {
                    bytes.putFloat(f);
                }
                item.put("embedding", Base64.getEncoder().encodeToString(bytes.array()));
            } else {
                ArrayNode values = item.putArray("embedding");
                for (float f : v) {
                    values.add(f);
                }
            }
        }
        root.put("model", model);
        root.putObject("usage").put("prompt_tokens", promptTokens).put("total_tokens", promptTokens);
        return root;
    }

    /**
     * llama.cpp's rerank answer: {@code results} sorted by {@code relevance_score}, the highest first (ties in the
     * documents' order), at most {@code topN}, each with its document's {@code index} and, when asked, the
     * {@code document} itself; {@code usage} counts the tokens of every query-document pair.
     */
    public static ObjectNode rerank(String model, List<String> documents, float[] scores, int topN,
                                    boolean returnDocuments, int promptTokens) {
        ObjectNode root = NODES.objectNode().put("object", "list").put("model", model);
        Integer[] order = new Integer[scores.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (a, b) -> scores[a] != scores[b] ? Float.compare(scores[b], scores[a])
                : Integer.compare(a, b));
        ArrayNode results = root.putArray("results");
        for (int r = 0; r < Math.min(topN, order.length); r++) {
            int i = order[r];
            ObjectNode item = results.addObject().put("index", i).put("relevance_score", scores[i]);
            if (returnDocuments) {
                item.putObject("document").put("text", documents.get(i));
            }
        }
        root.putObject("usage").put("prompt_tokens", promptTokens).put("total_tokens", promptTokens);
        return root;
    }

    private static ObjectNode base(Envelope e, String object) {
        return NODES.objectNode()
                .put("id", e.id())
                .put("object", object)
                .put("created", e.created())
                .put("model", e.model())
                .put("system_fingerprint", "llamacpp-server");
    }

    private static ObjectNode usage(Generation g) {
        return NODES.objectNode()
                .put("prompt_tokens", g.promptTokens())
                .put("completion_tokens", g.completionTokens())
                .put("total_tokens", g.totalTokens());
    }
}
