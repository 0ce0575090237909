package dev.gpufleet.llamacpp.engine;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaIterator;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.LlamaOutput;
import de.kherud.llama.ModelParameters;
import de.kherud.llama.args.PoolingType;
import dev.gpufleet.llamacpp.ServerOptions;
import dev.gpufleet.llamacpp.gguf.GgufSummary;
import java.io.IOException;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;

/**
 * One llama.cpp model for the life of the process (java-llama.cpp leaks on every load/close). Requests beyond the
 * configured number of slots wait here, in arrival order.
 */
public final class Engine {

    /** llama.cpp evaluates an embedding input in one micro-batch; this is its default size. */
    public static final int EMBEDDING_MAX_TOKENS = 512;

    private final LlamaModel model;
    private final GgufSummary summary;
    private final Semaphore slots;
    private final int slotContext;
    private final boolean embeddings;
    private final boolean reranking;
    private final ObjectMapper json = new ObjectMapper();

    private Engine(LlamaModel model, GgufSummary summary, int parallel, int slotContext, boolean embeddings,
                   boolean reranking) {
        this.model = model;
        this.summary = summary;
        this.slots = new Semaphore(parallel, true);
        this.slotContext = slotContext;
        this.embeddings = embeddings;
        this.reranking = reranking;
    }

    /** Call {@link NativeLibrary#prepare()} first. */
    public static Engine load(ServerOptions options, GgufSummary summary) throws EngineException {
        int ctx = options.ctxSize().orElse(ServerOptions.DEFAULT_CTX_SIZE);
        if (ctx == 0) {
            ctx = (int) Math.min(Integer.MAX_VALUE, summary.contextLength().orElse(ServerOptions.DEFAULT_CTX_SIZE));
        }
        ModelParameters params = new ModelParameters()
                .setModel(options.model().toString())
                .setCtxSize(ctx)
                .setParallel(options.parallel());
        if (options.parallel() > 1) {
            params.enableContBatching();
        }
        options.threads().ifPresent(t -> params.setThreads(t).setThreadsBatch(t));
        boolean reranking = options.rerank();
        if (reranking) {
            // a cross-encoder (BERT with a classification head): rank pooling scores [BOS] query [EOS] [SEP] doc
            params.enableReranking().setPoolingType(PoolingType.RANK);
        } else if (options.embeddings()) {
            // mean pooling aborts llama.cpp b4916 on llama models, and "none"/"cls" embed the BOS token only
            params.enableEmbedding().setPoolingType(PoolingType.LAST);
        }
        if (!options.verbose()) {
            params.disableLog();
        }
        LlamaModel model;
        try {
            model = new LlamaModel(params);
        } catch (LinkageError e) {
            throw new EngineException("cannot load the llama.cpp native library: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new EngineException("llama.cpp could not load it (" + e.getMessage() + ")", e);
        }
        // java-llama.cpp returns normally when llama.cpp rejects its arguments; the first call would then crash
        if (nativeHandle(model) == 0) {
            throw new EngineException("llama.cpp rejected the model parameters " + params, null);
        }
        return new Engine(model, summary, options.parallel(), Math.max(1, ctx / options.parallel()),
                options.embeddings() && !reranking, reranking);
    }

    private static long nativeHandle(LlamaModel model) throws EngineException {
        try {
            Field f = LlamaModel.class.getDeclaredField("ctx");
            f.setAccessible(true);
            return f.getLong(model);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new EngineException("cannot check the llama.cpp handle: " + e, e);
        }
    }

    public GgufSummary summary() {
        return summary;
    }

    /** Context tokens one request can use: the context size divided by the slots. */
    public int slotContext() {
        return slotContext;
    }

    public boolean servesEmbeddings() {
        return embeddings;
    }

    public boolean servesReranking() {
        return reranking;
    }

    /** The prompt the model's chat template makes of the messages, ending with the assistant's turn. */
    public String applyChatTemplate(List<ChatMessage> messages) throws EngineException {
        List<String> texts = new ArrayList<>();
        for (ChatMessage m : messages) {
            texts.add(m.role());
            texts.add(m.content());
        }
        SupplementaryCharacters supplementary = SupplementaryCharacters.forTexts(texts)
                .orElseThrow(() -> new EngineException("the messages use too many distinct emoji", null));
        ObjectNode request = json.createObjectNode();
        ArrayNode list = request.putArray("messages");
        for (ChatMessage m : messages) {
            list.addObject().put("role", supplementary.hide(m.role())).put("content", supplementary.hide(m.content()));
        }
        try {
            return supplementary.restore(model.applyTemplate(request.toString()));
        } catch (RuntimeException e) {
            throw new EngineException("cannot apply the chat template: " + e.getMessage(), e);
        }
    }

    /** Tokens llama.cpp evaluates for this prompt, the BOS token included. */
    public int promptTokens(String prompt) {
        return model.encode(prompt).length + (summary.addsBosToken() ? 1 : 0);
    }

    private int textTokens(String text) {
        if (text.isEmpty()) {
            return 0;
        }
        // a leading letter keeps the tokenizer from adding its word-boundary prefix to the text itself
        return model.encode("a" + text).length - model.encode("a").length;
    }

    /** Receives the generated text piece by piece; an IOException (client gone) cancels the generation. */
    public interface PieceListener {
        void onPiece(String piece) throws IOException;
    }

    /**
     * Generates a completion of {@code prompt}; {@code promptTokens} is what {@link #promptTokens} said for it.
     * Blocks while all slots are busy.
     */
    public Generation generate(String prompt, int promptTokens, Sampling sampling, PieceListener listener)
            throws EngineException, IOException, InterruptedException {
        int budget = sampling.maxTokens().orElse(Math.max(1, slotContext - promptTokens));
        InferenceParameters p = new InferenceParameters(prompt).setNPredict(budget);
        sampling.temperature().ifPresent(p::setTemperature);
        sampling.topP().ifPresent(p::setTopP);
        sampling.presencePenalty().ifPresent(p::setPresencePenalty);
        sampling.frequencyPenalty().ifPresent(p::setFrequencyPenalty);
        sampling.seed().ifPresent(p::setSeed);
        if (sampling.ignoreEos()) {
            p.setIgnoreEos(true);
        }
        if (!sampling.stop().isEmpty()) {
            p.setStopStrings(sampling.stop().toArray(new String[0]));
        }
        slots.acquire();
        try {
            LlamaIterator outputs;
            try {
                outputs = model.generate(p).iterator();
            } catch (RuntimeException e) {
                throw new EngineException(e.getMessage(), e);
            }
            StringBuilder text = new StringBuilder();
            int pieces = 0;
            boolean lastEmpty = false;
            try {
                while (outputs.hasNext()) {
                    LlamaOutput output = outputs.next();
                    boolean isFinal = !outputs.hasNext();
                    if (!isFinal) {
                        pieces++;
                        lastEmpty = output.text.isEmpty();
                    }
                    if (!output.text.isEmpty()) {
                        text.append(output.text);
                        listener.onPiece(output.text);
                    }
                }
            } catch (IOException e) {
                outputs.cancel();
                throw e;
            } catch (RuntimeException e) {
                outputs.cancel();
                throw new EngineException(e.getMessage(), e);
            }
            String generated = text.toString();
            TokenAccounting.Count count = TokenAccounting.count(pieces, textTokens(generated), lastEmpty, budget);
            return new Generation(generated, promptTokens, count.completionTokens(), count.finishReason());
        } finally {
            slots.release();
        }
    }

    /** A normalised embedding of the text (last-token pooling). */
    /**
     * How relevant each document is to the query, by the model's classification head: one score per document, in
     * the documents' order. Blocks while all slots are busy.
     */
    public float[] rerank(String query, List<String> documents) throws EngineException, InterruptedException {
        // java-llama.cpp answers a map from document text to score: ask for each distinct text once
        String[] distinct = documents.stream().distinct().toArray(String[]::new);
        slots.acquire();
        try {
            java.util.Map<String, Float> scores = model.rerank(query, distinct).probabilities;
            float[] result = new float[documents.size()];
            for (int i = 0; i < result.length; i++) {
                Float score = scores.get(documents.get(i));
                if (score == null) {
                    throw new EngineException("llama.cpp returned no score for document " + i, null);
                }
                result[i] = score;
            }
            return result;
        } catch (RuntimeException e) {
            throw new EngineException(e.getMessage(), e);
        } finally {
            slots.release();
        }
    }

    public float[] embed(String text) throws EngineException, InterruptedException {
        slots.acquire();
        try {
            return model.embed(text);
        } catch (RuntimeException e) {
            throw new EngineException(e.getMessage(), e);
        } finally {
            slots.release();
        }
    }
}
