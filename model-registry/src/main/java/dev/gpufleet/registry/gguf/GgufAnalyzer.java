package dev.gpufleet.registry.gguf;

import dev.gpufleet.registry.analysis.ModelArchitecture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Turns parsed GGUF headers (one file, or all parts of a split model) into a {@link ModelArchitecture}. */
public final class GgufAnalyzer {
    private static final Pattern SPLIT_NAME = Pattern.compile("(.*)-(\\d{5})-of-(\\d{5})\\.gguf");
    private static final Pattern LAYER_TENSOR = Pattern.compile("blk\\.(\\d+)\\..*");
    /** Encoder-only architectures llama.cpp runs as embedding models. */
    private static final Set<String> EMBEDDING_ARCHITECTURES = Set.of("bert", "nomic-bert", "nomic-bert-moe",
            "jina-bert-v2", "jina-bert-v3", "neo-bert", "modern-bert", "t5encoder");
    /** Far above any real model (a few hundred); bounds the per-layer list a hostile header could ask for. */
    static final int MAX_LAYERS = 65_536;
    /** llama.cpp's LLAMA_POOLING_TYPE_RANK. */
    private static final long POOLING_RANK = 4;

    private GgufAnalyzer() {
    }

    /**
     * The part file names of a split model ({@code name-00001-of-00003.gguf} → all three names, in order), or just
     * the name itself when it is not a split name.
     */
    public static List<String> splitPartNames(String fileName) {
        Matcher m = SPLIT_NAME.matcher(fileName);
        if (!m.matches()) {
            return List.of(fileName);
        }
        int count = Integer.parseInt(m.group(3));
        int no = Integer.parseInt(m.group(2));
        if (count < 1 || no < 1 || no > count) {
            return List.of(fileName);
        }
        List<String> names = new ArrayList<>(count);
        for (int i = 1; i <= count; i++) {
            names.add(String.format("%s-%05d-of-%05d.gguf", m.group(1), i, count));
        }
        return names;
    }

    /** Reads the file (and every part when its name is a split name) and analyses the headers. */
    public static ModelArchitecture analyze(Path file) throws IOException, GgufFormatException {
        Path dir = file.toAbsolutePath().getParent();
        List<GgufFile> parts = new ArrayList<>();
        for (String name : splitPartNames(file.getFileName().toString())) {
            Path part = dir.resolve(name);
            if (!Files.isRegularFile(part)) {
                throw new GgufFormatException(file + ": split part " + name + " is missing");
            }
            try (LocalFileSource source = new LocalFileSource(part)) {
                parts.add(GgufReader.read(source));
            }
        }
        return analyze(parts);
    }

    /**
     * {@link #analyze(Path)} plus the vision projector beside the file ({@code --mmproj} in the backend parameters
     * wins; a relative override is resolved against the model's directory).
     */
    public static ModelArchitecture analyzeWithMmproj(Path file, List<String> backendParameters)
            throws IOException, GgufFormatException {
        ModelArchitecture a = analyze(file);
        var chosen = chooseMmproj(file, backendParameters);
        return chosen.isEmpty() ? a : withMmprojBytes(a, chosen.get().sizeBytes());
    }

    /**
     * The vision projector for a local model: {@code --mmproj} or the {@code *mmproj*.gguf} beside it (see
     * {@link MmprojChoice}); one that is named but missing is an error.
     */
    public static java.util.Optional<MmprojChoice.Mmproj> chooseMmproj(Path file, List<String> backendParameters)
            throws IOException, GgufFormatException {
        Path dir = file.toAbsolutePath().getParent();
        List<MmprojChoice.DirectoryEntry> beside = new ArrayList<>();
        try (var entries = Files.list(dir)) {
            for (Path p : (Iterable<Path>) entries::iterator) {
                if (Files.isRegularFile(p)) {
                    beside.add(new MmprojChoice.DirectoryEntry(p.getFileName().toString(), Files.size(p)));
                }
            }
        }
        var chosen = MmprojChoice.choose(beside, backendParameters);
        if (chosen.isEmpty()) {
            return chosen;
        }
        Path mmproj = dir.resolve(chosen.get().file());
        if (!Files.isRegularFile(mmproj)) {
            throw new GgufFormatException(file + ": the vision projector " + mmproj + " is missing");
        }
        return java.util.Optional.of(new MmprojChoice.Mmproj(chosen.get().file(), Files.size(mmproj),
                chosen.get().fromParameters()));
    }

    public static ModelArchitecture withMmprojBytes(ModelArchitecture a, long mmprojBytes) {
        return new ModelArchitecture(a.architecture(), a.quantization(), a.parameterCount(), a.layers(),
                a.embeddingLength(), a.feedForwardLength(), a.headCount(), a.headCountKv(), a.headDim(),
                a.contextLength(), a.vocabSize(), a.fileBytes(), a.layerWeightBytes(), a.tokenEmbeddingBytes(),
                a.outputBytes(), a.otherBytes(), a.embeddingModel(), a.rerankerModel(), mmprojBytes);
    }

    /** Pure: the headers of a model's parts (one for an unsplit file), in any order. */
    public static ModelArchitecture analyze(List<GgufFile> parts) throws GgufFormatException {
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("no GGUF parts");
        }
        List<GgufFile> ordered = new ArrayList<>(parts);
        ordered.sort(Comparator.comparingLong(p -> p.integer("split.no") == null ? 0 : p.integer("split.no")));
        GgufFile first = ordered.get(0);
        checkSplit(ordered);

        String arch = first.string("general.architecture");
        if (arch == null || arch.isEmpty()) {
            throw new GgufFormatException(first.source() + ": general.architecture is missing");
        }
        String p = arch + ".";

        long parameters = 0;
        long tokenEmbedding = 0;
        long output = 0;
        long outputNorm = 0;
        long other = 0;
        boolean hasOutputTensors = false;
        boolean hasOutputMatrix = false;
        boolean hasClassifier = false;
        Map<Integer, Long> layerBytes = new HashMap<>();
        Map<GgmlType, Long> bytesByType = new HashMap<>();
        long fileBytes = 0;
        for (GgufFile part : ordered) {
            fileBytes += part.fileBytes();
            for (GgufTensorInfo t : part.tensors()) {
                parameters += t.elements();
                bytesByType.merge(t.type(), t.bytes(), Long::sum);
                String n = t.name();
                Matcher layer = LAYER_TENSOR.matcher(n);
                if (layer.matches() && layer.group(1).length() <= 9) {
                    layerBytes.merge(Integer.parseInt(layer.group(1)), t.bytes(), Long::sum);
                } else if (n.startsWith("token_embd.")) {
                    tokenEmbedding += t.bytes();
                } else if (n.startsWith("output.")) {
                    output += t.bytes();
                    hasOutputTensors = true;
                    hasOutputMatrix |= n.equals("output.weight");
                } else if (n.startsWith("output_norm.")) {
                    outputNorm += t.bytes();
                    hasOutputTensors = true;
                } else {
                    other += t.bytes();
                }
                if (n.startsWith("cls.")) {
                    hasClassifier = true;
                }
            }
        }

        if (hasOutputMatrix) {
            output += outputNorm;
        } else {
            // tied embeddings: llama.cpp reuses token_embd as the output matrix; outputBytes 0 says so, and the
            // small output norm counts with the rest
            other += output + outputNorm;
            output = 0;
        }

        int layers = intValue(first, p + "block_count", 0);
        long tensorCount = ordered.stream().mapToLong(f -> f.tensors().size()).sum();
        if (layers > tensorCount) {
            // every layer has at least one tensor; this also bounds the per-layer list by the file's real content
            throw new GgufFormatException(first.source() + ": " + p + "block_count is " + layers + " but the model has "
                    + tensorCount + " tensors");
        }
        int highestLayer = layerBytes.keySet().stream().mapToInt(Integer::intValue).max().orElse(-1);
        if (layers == 0) {
            layers = highestLayer + 1;
        }
        if (layers > MAX_LAYERS || highestLayer >= MAX_LAYERS) {
            throw new GgufFormatException(first.source() + ": " + Math.max(layers, highestLayer + 1)
                    + " layers (block_count or blk.N tensors), more than " + MAX_LAYERS);
        }
        List<Long> perLayer = new ArrayList<>();
        for (int i = 0; i < Math.max(layers, highestLayer + 1); i++) {
            perLayer.add(layerBytes.getOrDefault(i, 0L));
        }
        int heads = intValue(first, p + "attention.head_count", 0);
        int kvHeads = intValue(first, p + "attention.head_count_kv", heads);
        int embeddingLength = intValue(first, p + "embedding_length", 0);
        int headDim = intValue(first, p + "attention.key_length", heads > 0 ? embeddingLength / heads : 0);
        int vocab = intValue(first, p + "vocab_size", 0);
        if (vocab == 0) {
            GgufArray tokens = first.array("tokenizer.ggml.tokens");
            vocab = tokens == null ? 0 : (int) Math.min(tokens.count(), Integer.MAX_VALUE);
        }

        Long pooling = first.integer(p + "pooling_type");
        boolean reranker = (pooling != null && pooling == POOLING_RANK) || hasClassifier;
        // no output head and no output norm: an encoder (models with tied embeddings still have output_norm)
        boolean embeddingModel = !reranker && (pooling != null || EMBEDDING_ARCHITECTURES.contains(arch)
                || !hasOutputTensors);

        return new ModelArchitecture(arch, quantization(first, bytesByType), parameters, layers, embeddingLength,
                intValue(first, p + "feed_forward_length", 0), heads, kvHeads, headDim,
                intValue(first, p + "context_length", 0), vocab, fileBytes, perLayer, tokenEmbedding, output, other,
                embeddingModel, reranker, 0);
    }

    private static void checkSplit(List<GgufFile> ordered) throws GgufFormatException {
        GgufFile first = ordered.get(0);
        Long count = first.integer("split.count");
        if (count == null) {
            if (ordered.size() > 1) {
                throw new GgufFormatException(first.source() + ": " + ordered.size()
                        + " parts given but the first has no split.count");
            }
            return;
        }
        if (count != ordered.size()) {
            throw new GgufFormatException(first.source() + ": split.count is " + count + " but " + ordered.size()
                    + " parts were found");
        }
        for (int i = 0; i < ordered.size(); i++) {
            Long no = ordered.get(i).integer("split.no");
            if (no == null || no != i) {
                throw new GgufFormatException(ordered.get(i).source() + ": split.no is " + no + ", expected " + i);
            }
        }
        Long tensorCount = first.integer("split.tensors.count");
        long found = ordered.stream().mapToLong(f -> f.tensors().size()).sum();
        if (tensorCount != null && tensorCount != found) {
            throw new GgufFormatException(first.source() + ": split.tensors.count is " + tensorCount + " but the "
                    + ordered.size() + " parts hold " + found + " tensors");
        }
    }

    private static String quantization(GgufFile first, Map<GgmlType, Long> bytesByType) {
        Long fileType = first.integer("general.file_type");
        String name = fileType == null ? null : GgufFileTypes.name(fileType);
        if (name != null) {
            return name;
        }
        return bytesByType.entrySet().stream().max(Map.Entry.comparingByValue()).map(e -> e.getKey().name())
                .orElse("unknown");
    }

    /**
     * An integer metadata value; per-layer arrays (some architectures vary heads or widths by layer) give their
     * largest kept element.
     */
    static int intValue(GgufFile file, String key, int fallback) {
        Object v = file.metadata().get(key);
        long n;
        if (v instanceof Long) {
            n = (Long) v;
        } else if (v instanceof GgufArray) {
            n = ((GgufArray) v).firstValues().stream().filter(Long.class::isInstance).mapToLong(Long.class::cast)
                    .max().orElse(fallback);
        } else {
            return fallback;
        }
        return n < 0 || n > Integer.MAX_VALUE ? fallback : (int) n;
    }
}
