package dev.gpufleet.registry.hfconfig;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Architecture name → category, from the data table {@code hfconfig/architecture-categories.tsv} (vLLM's supported
 * architectures, diffusers pipelines, speech models), then vLLM's own naming rules for names the table lacks:
 * {@code *ForCausalLM}, {@code *LMHeadModel}, {@code *ForConditionalGeneration} generate text;
 * {@code *ForSequenceClassification} and {@code *ForRanking} score pairs (rerankers); {@code *Model},
 * {@code *EmbeddingModel}, {@code *ForTextEncoding} pool to embeddings. Pure after loading.
 */
public final class ArchitectureCategories {
    private static final String TABLE = "/hfconfig/architecture-categories.tsv";
    private static final ArchitectureCategories DEFAULT = load();

    /** Suffix rules in the order they are tried: longer, more specific suffixes first. */
    private static final List<Map.Entry<String, ModelCategory>> SUFFIXES = List.of(
            Map.entry("ForSequenceClassification", ModelCategory.RERANKER),
            Map.entry("ForRanking", ModelCategory.RERANKER),
            Map.entry("ForCausalLM", ModelCategory.LLM),
            Map.entry("LMHeadModel", ModelCategory.LLM),
            Map.entry("ForConditionalGeneration", ModelCategory.LLM),
            Map.entry("EmbeddingModel", ModelCategory.EMBEDDING),
            Map.entry("ForTextEncoding", ModelCategory.EMBEDDING),
            Map.entry("ForEmbedding", ModelCategory.EMBEDDING),
            Map.entry("Model", ModelCategory.EMBEDDING));

    private final Map<String, ModelCategory> table;

    ArchitectureCategories(Map<String, ModelCategory> table) {
        this.table = Map.copyOf(table);
    }

    public static ArchitectureCategories standard() {
        return DEFAULT;
    }

    /** The category of {@code architecture}, or empty when neither the table nor a naming rule knows it. */
    public Optional<ModelCategory> categoryOf(String architecture) {
        if (architecture == null || architecture.isBlank()) {
            return Optional.empty();
        }
        ModelCategory listed = table.get(architecture);
        if (listed != null) {
            return Optional.of(listed);
        }
        for (Map.Entry<String, ModelCategory> rule : SUFFIXES) {
            if (architecture.endsWith(rule.getKey()) && architecture.length() > rule.getKey().length()) {
                return Optional.of(rule.getValue());
            }
        }
        return Optional.empty();
    }

    /** Whether the table itself lists {@code architecture} (not just a naming rule). */
    public boolean lists(String architecture) {
        return table.containsKey(architecture);
    }

    public int size() {
        return table.size();
    }

    static Map<String, ModelCategory> parse(BufferedReader lines) throws IOException {
        Map<String, ModelCategory> table = new LinkedHashMap<>();
        String line;
        int number = 0;
        while ((line = lines.readLine()) != null) {
            number++;
            String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                continue;
            }
            String[] columns = trimmed.split("\t");
            Optional<ModelCategory> category = columns.length == 2
                    ? ModelCategory.fromWireName(columns[1].strip()) : Optional.empty();
            if (category.isEmpty()) {
                throw new IllegalStateException(TABLE + " line " + number + ": expected '<architecture>\\t<category>',"
                        + " got '" + trimmed + "'");
            }
            if (table.put(columns[0].strip(), category.get()) != null) {
                throw new IllegalStateException(TABLE + " line " + number + ": " + columns[0] + " listed twice");
            }
        }
        return table;
    }

    private static ArchitectureCategories load() {
        try (InputStream in = ArchitectureCategories.class.getResourceAsStream(TABLE)) {
            if (in == null) {
                throw new IllegalStateException(TABLE + " is missing from the classpath");
            }
            return new ArchitectureCategories(parse(new BufferedReader(new InputStreamReader(in,
                    StandardCharsets.UTF_8))));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
