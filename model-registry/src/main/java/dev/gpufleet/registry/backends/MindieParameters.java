package dev.gpufleet.registry.backends;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.gpufleet.registry.backends.FlagSpec.bool;
import static dev.gpufleet.registry.backends.FlagSpec.choice;
import static dev.gpufleet.registry.backends.FlagSpec.integer;
import static dev.gpufleet.registry.backends.FlagSpec.json;
import static dev.gpufleet.registry.backends.FlagSpec.number;

/**
 * Every MindIE command-line parameter of the seed (its "参数参考" table) with its default, range, power-of-two rule
 * and exclusions, and the effective values a set of backend parameters gives (the worker agent turns them into
 * MindIE's JSON config).
 */
public final class MindieParameters {
    public static final String LOG_LEVEL = "--log-level";
    public static final String MAX_SEQ_LEN = "--max-seq-len";
    public static final String MAX_INPUT_TOKEN_LEN = "--max-input-token-len";
    public static final String MAX_BATCH_SIZE = "--max-batch-size";
    public static final String ENABLE_SPLIT = "--enable-split";
    public static final String ENABLE_MEMORY_DECODING = "--enable-memory-decoding";
    public static final String ENABLE_LOOKAHEAD = "--enable-lookahead";
    public static final String ENABLE_MULTI_TOKEN_PREDICTION = "--enable-multi-token-prediction";
    public static final String ENABLE_PREFIX_CACHING = "--enable-prefix-caching";
    public static final String ROPE_SCALING = "--rope-scaling";

    /** -1 turns a parallelism off (or, for tp, means "the whole world size"); anything else is a power of two. */
    private static final long PARALLELISM_OFF = -1;

    /*
     * Exclusions: the seed names prefix caching vs extended context (rope scaling); GPUStack's MindIE backend also
     * refuses Split Fuse together with speculative decoding (memory decoding, lookahead) or multi-token
     * prediction, the two speculative methods together, and speculation together with multi-token prediction
     * (gpustack.md §3.6, "incompatibility matrix"). Each pair is listed once; the checker treats it symmetrically.
     */
    public static final List<FlagSpec> FLAGS = List.of(
            choice(List.of("Verbose", "Info", "Warning", "Warn", "Error", "Debug"), LOG_LEVEL).withDefault("Info"),
            integer("--max-link-num").range(1, 1000).withDefault("1000"),
            integer("--token-timeout").range(1, 3600).withDefault("60"),
            integer("--e2e-timeout").range(1, 3600).withDefault("60"),
            integer(MAX_SEQ_LEN).above(0).withDefault("8192"),
            integer(MAX_INPUT_TOKEN_LEN).above(0).atMostValueOf(MAX_SEQ_LEN).withDefaultFrom(MAX_SEQ_LEN),
            bool("--truncation"),
            integer("--cpu-mem-size").atLeast(0).withDefault("0"),
            number("--npu-memory-fraction").above(0).atMost(1).withDefault("0.9"),
            bool("--trust-remote-code"),
            integer("--cache-block-size").above(0).mustBePowerOfTwo().withDefault("128"),
            integer("--max-prefill-batch-size").atLeast(1).atMostValueOf(MAX_BATCH_SIZE).withDefault("50"),
            integer("--prefill-time-ms-per-req").range(0, 1000).withDefault("150"),
            choice(List.of("0", "1", "2", "3"), "--prefill-policy-type").withDefault("0"),
            integer(MAX_BATCH_SIZE).range(1, 5000).withDefault("200"),
            integer("--decode-time-ms-per-req").range(0, 1000).withDefault("50"),
            choice(List.of("0", "1", "2", "3"), "--decode-policy-type").withDefault("0"),
            integer("--max-preempt-count").atLeast(0).atMostValueOf(MAX_BATCH_SIZE).withDefault("0"),
            bool("--support-select-batch").negatableWithNo(),
            integer("--max-queue-delay-microseconds").range(500, 1_000_000).withDefault("5000"),
            json("--override-generation-config"),
            bool("--enforce-eager"),
            bool("--metrics"),
            choice(List.of("auto", "half", "float16", "bfloat16", "float", "float32"), "--dtype").withDefault("auto"),
            json(ROPE_SCALING),
            number("--rope-theta").above(0),
            bool(ENABLE_SPLIT).negatableWithNo()
                    .excluding(ENABLE_MEMORY_DECODING, ENABLE_LOOKAHEAD, ENABLE_MULTI_TOKEN_PREDICTION),
            choice(List.of("0", "4", "5", "6", "7"), "--policy-type").withDefault("0"),
            integer("--split-chunk-tokens").atLeast(512).atMostValueOf(MAX_INPUT_TOKEN_LEN).withDefault("512"),
            integer("--split-start-batch-size").atLeast(0).atMostValueOf(MAX_BATCH_SIZE).withDefault("16"),
            bool(ENABLE_MEMORY_DECODING).negatableWithNo().excluding(ENABLE_LOOKAHEAD, ENABLE_MULTI_TOKEN_PREDICTION),
            integer("--memory-decoding-length").range(1, 16).withDefault("16"),
            bool("--memory-decoding-dynamic-algo"),
            bool(ENABLE_LOOKAHEAD).negatableWithNo().excluding(ENABLE_MULTI_TOKEN_PREDICTION),
            integer("--lookahead-level").range(3, 16).withDefault("4"),
            integer("--lookahead-window").range(1, 16).withDefault("5"),
            integer("--lookahead-guess-set-size").range(1, 16).withDefault("5"),
            bool(ENABLE_MULTI_TOKEN_PREDICTION).negatableWithNo(),
            integer("--multi-token-prediction-tokens").above(0).withDefault("1"),
            bool(ENABLE_PREFIX_CACHING).negatableWithNo().excluding(ROPE_SCALING),
            integer("--pipeline-parallel-size", "-pp").above(0).withDefault("1"),
            integer("--data-parallel-size", "-dp").above(0).mustBePowerOfTwo().except(PARALLELISM_OFF).withDefault("-1"),
            integer("--tensor-parallel-size", "-tp").above(0).mustBePowerOfTwo().except(PARALLELISM_OFF).withDefault("-1"),
            integer("--sequence-parallel-size", "-sp").above(0).mustBePowerOfTwo().except(PARALLELISM_OFF)
                    .withDefault("-1"),
            integer("--moe-expert-parallel-size", "-moe-ep").above(0).mustBePowerOfTwo().except(PARALLELISM_OFF)
                    .withDefault("-1"),
            integer("--moe-tensor-parallel-size", "-moe-tp").above(0).mustBePowerOfTwo().except(PARALLELISM_OFF)
                    .withDefault("-1"),
            bool("--enable-buffer-response").negatableWithNo(),
            integer("--prefill-expected-time-ms").above(0),
            integer("--decode-expected-time-ms").above(0));

    private MindieParameters() {
    }

    /**
     * The value of every MindIE parameter that has one after these backend parameters: the last occurrence of a
     * flag wins, unset flags take the seed's default (booleans default to false). Keys are the canonical flag
     * names; values are {@code Long}, {@code Double}, {@code Boolean} or {@code String} (JSON as its text).
     * Flags that are unknown or have bad values are skipped here: validation reports them.
     */
    public static Map<String, Object> effectiveValues(List<String> backendParameters) {
        Map<String, String> given = new LinkedHashMap<>();
        for (BackendParameters.Argument argument : BackendParameters.parse(FLAGS, backendParameters).arguments()) {
            if (argument.spec() != null) {
                given.put(argument.spec().name(), argument.spec().kind() == FlagSpec.Kind.BOOLEAN
                        ? Boolean.toString(!argument.negated()) : argument.value());
            }
        }
        Map<String, Object> effective = new LinkedHashMap<>();
        for (FlagSpec flag : FLAGS) {
            String text = given.containsKey(flag.name()) ? given.get(flag.name())
                    : flag.defaultFrom() != null ? String.valueOf(effective.get(flag.defaultFrom()))
                    : flag.defaultValue();
            Object value = typed(flag, text);
            if (value != null) {
                effective.put(flag.name(), value);
            }
        }
        return effective;
    }

    private static Object typed(FlagSpec flag, String text) {
        if (flag.kind() == FlagSpec.Kind.BOOLEAN) {
            return Boolean.parseBoolean(text);
        }
        Object value = parse(flag.kind(), text);
        return value != null ? value : parse(flag.kind(), flag.defaultValue());
    }

    private static Object parse(FlagSpec.Kind kind, String text) {
        if (text == null) {
            return null;
        }
        try {
            return switch (kind) {
                case INTEGER -> Long.parseLong(text);
                case NUMBER -> Double.parseDouble(text);
                default -> text;
            };
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
