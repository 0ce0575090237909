package dev.gpufleet.registry.backends;

import java.util.List;

import static dev.gpufleet.registry.backends.FlagSpec.bool;
import static dev.gpufleet.registry.backends.FlagSpec.choice;
import static dev.gpufleet.registry.backends.FlagSpec.integer;
import static dev.gpufleet.registry.backends.FlagSpec.json;
import static dev.gpufleet.registry.backends.FlagSpec.number;
import static dev.gpufleet.registry.backends.FlagSpec.text;

/**
 * The command-line flags we know for llama-box, vLLM and vox-box (MindIE's are in {@link MindieParameters}),
 * checked against each backend's own argument parser; the source and version read are named above each table.
 * Unknown flags are only warnings for llama-box and vLLM (see {@link BackendParameters#unknownFlagsAllowed}), so
 * a flag of a newer release than the one read still passes. Bounds are the backend's own checks, or the range
 * its usage text gives where a value outside it has no meaning (top-p in [0, 1]).
 *
 * <p>Left out on purpose: flags that print and exit ({@code --help}, {@code --version}, {@code --list-devices}),
 * flags whose value the agent owns ({@code --host}, {@code --port}, {@code --model}, llama-box's
 * {@code --rpc-server-host}/{@code --rpc-server-port}), and flags that take two separate values (llama-box's
 * {@code --lora-scaled FILE SCALE}, {@code --control-vector-scaled}, {@code --control-vector-layer-range}),
 * which {@link BackendParameters} cannot read as one argument.
 */
public final class BackendFlags {
    /** llama-box's {@code kv_cache_types}: the only values its {@code --cache-type-k/-v} parser accepts. */
    private static final List<String> CACHE_TYPES =
            List.of("f32", "f16", "bf16", "q8_0", "q4_0", "q4_1", "iq4_nl", "q5_0", "q5_1");

    /**
     * llama-box: its own parser, not llama.cpp's common/arg.cpp. Source: github gpustack/llama-box,
     * llama-box/engine_param.hpp ({@code llama_box_params_parse} and the usage table), commit
     * 4d068484fe198a30f8ca6d6d23d9890fbd8eee8c (v0.0.171 plus one docs commit).
     * It has no {@code --n-predict}, {@code --cont-batching}, {@code --kv-offload} (only {@code --no-kv-offload}),
     * {@code --slots}, {@code --log-disable} or {@code --spm-infill}, unlike llama.cpp's server.
     */
    public static final List<FlagSpec> LLAMA_BOX = List.of(
            // general
            bool("--verbose", "-v", "--log-verbose"),
            integer("--verbosity", "-lv", "--log-verbosity"),
            bool("--log-colors"),
            // server
            integer("--timeout", "-to"),
            integer("--threads-http"),
            integer("--conn-idle"),
            integer("--conn-keepalive"),
            text("--alias", "-a"),
            text("--lora"),
            bool("--lora-init-without-apply"),
            integer("--seed", "-s"),
            bool("--flash-attn", "-fa").negatableWithNo(),
            bool("--swa-full"),
            bool("--kv-unified", "-kvu"),
            bool("--metrics"),
            bool("--embeddings", "--embedding"),
            bool("--images"),
            bool("--rerank", "--reranking"),
            text("--rpc"),
            text("--tensor-split", "-ts"),
            // Any count is accepted; more than the model has means all of them (GPUStack passes 999).
            // llama-box itself takes any count (more than the model has means all); 999 is the conventional "all"
            // and the bound the issue asks for, so a typo such as 9999 is caught before a worker sees it
            integer("--gpu-layers", "-ngl", "--n-gpu-layers").atLeast(0).atMost(999),
            text("--override-tensor", "-ot"),
            text("--override-tensor-draft", "-otd"),
            bool("--warmup").negatableWithNo(),
            // server/completion
            text("--device", "-dev"),
            choice(List.of("none", "layer", "row"), "--split-mode", "-sm"),
            integer("--main-gpu", "-mg").atLeast(0),
            text("--override-kv"),
            text("--chat-template"),
            bool("--jinja"),
            text("--chat-template-file"),
            json("--chat-template-kwargs"),
            text("--slot-save-path"),
            integer("--tokens-per-second", "-tps").atLeast(-1),
            // <= 0 means "as many as the CPU has"
            integer("--threads", "-t"),
            text("--cpu-mask", "-C"),
            text("--cpu-range", "-Cr"),
            choice(List.of("0", "1"), "--cpu-strict"),
            choice(List.of("0", "1", "2", "3"), "--prio"),
            integer("--poll").range(0, 100),
            integer("--threads-batch", "-tb"),
            text("--cpu-mask-batch", "-Cb"),
            text("--cpu-range-batch", "-Crb"),
            choice(List.of("0", "1"), "--cpu-strict-batch"),
            choice(List.of("0", "1", "2", "3"), "--prio-batch"),
            integer("--poll-batch").range(0, 100),
            integer("--ctx-size", "-c").atLeast(0),
            bool("--context-shift").negatableWithNo(),
            integer("--batch-size", "-b").atLeast(1),
            integer("--ubatch-size", "-ub").atLeast(1),
            integer("--keep").atLeast(0),
            bool("--escape", "-e").negatableWithNo(),
            text("--samplers"),
            number("--temp"),
            integer("--top-k").atLeast(0),
            number("--top-p").range(0, 1),
            number("--min-p").range(0, 1),
            number("--top-nsigma"),
            number("--xtc-probability"),
            number("--xtc-threshold"),
            number("--typical"),
            integer("--repeat-last-n").atLeast(-1),
            number("--repeat-penalty").atLeast(0),
            number("--presence-penalty"),
            number("--frequency-penalty"),
            number("--dry-multiplier"),
            number("--dry-base"),
            integer("--dry-allowed-length"),
            integer("--dry-penalty-last-n").atLeast(-1),
            text("--dry-sequence-breaker"),
            number("--dynatemp-range"),
            number("--dynatemp-exp"),
            choice(List.of("0", "1", "2"), "--mirostat"),
            number("--mirostat-lr"),
            number("--mirostat-ent"),
            text("--logit-bias", "-l"),
            text("--grammar"),
            text("--grammar-file"),
            json("--json-schema", "-j"),
            choice(List.of("none", "linear", "yarn"), "--rope-scaling"),
            number("--rope-scale"),
            number("--rope-freq-base"),
            number("--rope-freq-scale"),
            integer("--yarn-orig-ctx"),
            number("--yarn-ext-factor"),
            number("--yarn-attn-factor"),
            number("--yarn-beta-fast"),
            number("--yarn-beta-slow"),
            bool("--no-kv-offload", "-nkvo"),
            bool("--no-cache-prompt"),
            bool("--cpu-moe", "-cmoe"),
            integer("--n-cpu-moe", "-ncmoe").atLeast(0),
            bool("--cpu-moe-draft", "-cmoed"),
            integer("--n-cpu-moe-draft", "-ncmoed").atLeast(0),
            integer("--cache-reuse").atLeast(0),
            bool("--no-repack", "-nr"),
            choice(CACHE_TYPES, "--cache-type-k", "-ctk"),
            choice(CACHE_TYPES, "--cache-type-v", "-ctv"),
            number("--defrag-thold", "-dt"),
            integer("--parallel", "-np").atLeast(1),
            text("--mmproj"),
            bool("--mlock"),
            bool("--mmap").negatableWithNo(),
            choice(List.of("distribute", "isolate", "numactl"), "--numa"),
            text("--control-vector"),
            text("--reverse-prompt", "-r"),
            bool("--special", "-sp"),
            bool("--enable-reasoning").negatableWithNo(),
            bool("--reasoning-in-content").negatableWithNo(),
            // server/completion/speculative
            integer("--draft-max", "--draft", "--draft-n").atLeast(0),
            integer("--draft-min", "--draft-n-min").atLeast(0),
            number("--draft-p-min"),
            text("--model-draft", "-md"),
            text("--device-draft", "-devd"),
            integer("--gpu-layers-draft", "-ngld", "--n-gpu-layers-draft").atLeast(0),
            integer("--lookup-ngram-min").range(1, 4),
            // server/completion/multimodal; llama-box also wants a multiple of 14 here, which it reports itself
            integer("--visual-max-image-size").atLeast(224).except(0),
            integer("--visual-max-image-cache").atLeast(0),
            integer("--max-projected-cache").atLeast(0),
            // server/embedding
            choice(List.of("none", "mean", "cls", "last", "rank"), "--pooling"),
            choice(List.of("causal", "non-causal"), "--attention"),
            // server/images; heights and widths must also be multiples of 64, which llama-box reports itself
            integer("--image-max-batch").atLeast(1),
            integer("--image-max-height").atLeast(256),
            integer("--image-max-width").atLeast(256),
            number("--image-guidance").atLeast(1),
            number("--image-strength").range(0, 1),
            text("--image-sample-method", "--image-sampler"),
            integer("--image-sampling-steps", "--image-sample-steps").atLeast(1),
            number("--image-cfg-scale").atLeast(1),
            number("--image-slg-scale").atLeast(0),
            // the usage text says --image-slg-skip-layer, the parser reads --image-skip-layer
            integer("--image-skip-layer").atLeast(0),
            number("--image-slg-start").atLeast(0),
            number("--image-slg-end").atLeast(0),
            text("--image-schedule-method", "--image-schedule"),
            bool("--image-no-text-encoder-model-offload"),
            text("--image-clip-l-model"),
            text("--image-clip-g-model"),
            text("--image-t5xxl-model"),
            bool("--image-no-vae-model-offload"),
            text("--image-vae-model"),
            bool("--image-vae-tiling"),
            bool("--image-no-vae-tiling"),
            text("--image-taesd-model"),
            text("--image-upscale-model"),
            integer("--image-upscale-repeats").atLeast(1),
            bool("--image-no-control-net-model-offload"),
            text("--image-control-net-model"),
            number("--image-control-strength").range(0, 1),
            bool("--image-control-canny"),
            bool("--image-free-compute-memory-immediately"),
            // rpc-server (its host and port are the agent's, like --host/--port)
            integer("--rpc-server-main-gpu").atLeast(-1),
            integer("--rpc-server-reserve-memory").atLeast(0),
            integer("--rpc-server-threads"),
            bool("--rpc-server-cache"),
            text("--rpc-server-cache-dir"));

    /**
     * vLLM's {@code vllm serve} arguments. Sources: github vllm-project/vllm, vllm/engine/arg_utils.py
     * ({@code EngineArgs.add_cli_args}, {@code AsyncEngineArgs.add_cli_args}) at commit
     * 99d7eb5d6a512cfcc5a2b104f24ebf2d6cda772b (a v0.11-era tree: its deprecations say "removed in v0.12.0"),
     * and vllm/entrypoints/openai/cli_args.py ({@code FrontendArgs}) at commit
     * 005223338608bc94fd165a4f976c102a57bd1fc4 (newer; only its long-standing flags are listed here).
     * Every boolean that vLLM builds from a config field is a {@code BooleanOptionalAction}, so {@code --no-X}
     * works for it. Choice lists that change between releases ({@code --tokenizer-mode}, {@code --kv-cache-dtype},
     * {@code --quantization}, {@code --load-format}) are plain text so that a pinned newer version is not refused.
     * {@code --max-model-len} and {@code --max-num-batched-tokens} also take forms like {@code 32k} in vLLM; we
     * keep them plain integers because the memory estimate reads them as integers.
     * A flag that takes several values ({@code --served-model-name}, {@code --lora-modules}, {@code --api-key},
     * {@code --cudagraph-capture-sizes}) must have all of them in one entry.
     */
    public static final List<FlagSpec> VLLM = List.of(
            // ModelConfig
            text("--runner"),
            text("--convert"),
            text("--task"),
            text("--tokenizer"),
            text("--tokenizer-mode"),
            bool("--trust-remote-code").negatableWithNo(),
            choice(List.of("auto", "half", "float16", "bfloat16", "float", "float32"), "--dtype")
                    .withDefault("auto"),
            integer("--seed"),
            text("--hf-config-path"),
            text("--allowed-local-media-path"),
            text("--allowed-media-domains"),
            text("--revision"),
            text("--code-revision"),
            json("--rope-scaling"),
            number("--rope-theta"),
            text("--tokenizer-revision"),
            integer("--max-model-len").atLeast(1),
            text("--quantization", "-q"),
            bool("--enforce-eager").negatableWithNo(),
            integer("--max-logprobs").atLeast(0),
            text("--logprobs-mode"),
            bool("--disable-sliding-window").negatableWithNo(),
            bool("--disable-cascade-attn").negatableWithNo(),
            bool("--skip-tokenizer-init").negatableWithNo(),
            bool("--enable-prompt-embeds").negatableWithNo(),
            text("--served-model-name"),
            text("--config-format"),
            json("--hf-overrides"),
            json("--pooler-config"),
            json("--override-pooler-config"),
            text("--logits-processor-pattern"),
            text("--generation-config"),
            json("--override-generation-config"),
            bool("--enable-sleep-mode").negatableWithNo(),
            text("--model-impl"),
            text("--override-attention-dtype"),
            text("--logits-processors"),
            text("--io-processor-plugin"),
            // LoadConfig
            text("--load-format"),
            text("--download-dir"),
            text("--safetensors-load-strategy"),
            json("--model-loader-extra-config"),
            text("--ignore-patterns"),
            bool("--use-tqdm-on-load").negatableWithNo(),
            text("--pt-load-map-location"),
            // StructuredOutputsConfig
            text("--reasoning-parser"),
            // ParallelConfig
            choice(List.of("ray", "mp", "uni", "external_launcher"), "--distributed-executor-backend"),
            integer("--pipeline-parallel-size", "-pp").atLeast(1),
            integer("--tensor-parallel-size", "-tp").atLeast(1),
            integer("--decode-context-parallel-size", "-dcp").atLeast(1),
            integer("--data-parallel-size", "-dp").atLeast(1),
            integer("--data-parallel-rank", "-dpn").atLeast(0),
            integer("--data-parallel-start-rank", "-dpr").atLeast(0),
            integer("--data-parallel-size-local", "-dpl").atLeast(0),
            text("--data-parallel-address", "-dpa"),
            integer("--data-parallel-rpc-port", "-dpp"),
            choice(List.of("mp", "ray"), "--data-parallel-backend", "-dpb"),
            bool("--data-parallel-hybrid-lb").negatableWithNo(),
            bool("--enable-expert-parallel").negatableWithNo(),
            text("--all2all-backend"),
            bool("--enable-dbo").negatableWithNo(),
            integer("--dbo-decode-token-threshold"),
            integer("--dbo-prefill-token-threshold"),
            bool("--disable-nccl-for-dp-synchronization").negatableWithNo(),
            bool("--enable-eplb").negatableWithNo(),
            json("--eplb-config"),
            text("--expert-placement-strategy"),
            integer("--max-parallel-loading-workers").atLeast(1),
            bool("--ray-workers-use-nsight").negatableWithNo(),
            bool("--disable-custom-all-reduce").negatableWithNo(),
            text("--worker-cls"),
            text("--worker-extension-cls"),
            // CacheConfig
            integer("--block-size").atLeast(1),
            number("--gpu-memory-utilization").above(0).atMost(1).withDefault("0.9"),
            text("--kv-cache-memory-bytes"),
            number("--swap-space").atLeast(0),
            text("--kv-cache-dtype"),
            integer("--num-gpu-blocks-override").atLeast(1),
            bool("--enable-prefix-caching").negatableWithNo(),
            text("--prefix-caching-hash-algo"),
            number("--cpu-offload-gb").atLeast(0),
            bool("--calculate-kv-scales").negatableWithNo(),
            bool("--kv-sharing-fast-prefill").negatableWithNo(),
            choice(List.of("auto", "float32", "float16", "bfloat16"), "--mamba-cache-dtype"),
            choice(List.of("auto", "float32", "float16", "bfloat16"), "--mamba-ssm-cache-dtype"),
            integer("--mamba-block-size").atLeast(1),
            // MultiModalConfig
            json("--limit-mm-per-prompt"),
            bool("--enable-mm-embeds").negatableWithNo(),
            json("--media-io-kwargs"),
            json("--mm-processor-kwargs"),
            number("--mm-processor-cache-gb").atLeast(0),
            text("--mm-processor-cache-type"),
            integer("--mm-shm-cache-max-object-size-mb").atLeast(0),
            text("--mm-encoder-tp-mode"),
            text("--mm-encoder-attn-backend"),
            bool("--interleave-mm-strings").negatableWithNo(),
            bool("--skip-mm-profiling").negatableWithNo(),
            number("--video-pruning-rate"),
            // LoRAConfig
            bool("--enable-lora").negatableWithNo(),
            integer("--max-loras").atLeast(1),
            integer("--max-lora-rank").atLeast(1),
            integer("--lora-extra-vocab-size").atLeast(0),
            text("--lora-dtype"),
            integer("--max-cpu-loras").atLeast(1),
            bool("--fully-sharded-loras").negatableWithNo(),
            json("--default-mm-loras"),
            // ObservabilityConfig
            text("--show-hidden-metrics-for-version"),
            text("--otlp-traces-endpoint"),
            text("--collect-detailed-traces"),
            // SchedulerConfig
            integer("--max-num-batched-tokens").atLeast(1),
            integer("--max-num-seqs").atLeast(1),
            integer("--max-num-partial-prefills").atLeast(1),
            integer("--max-long-partial-prefills").atLeast(1),
            integer("--long-prefill-token-threshold").atLeast(0),
            integer("--num-lookahead-slots").atLeast(0),
            choice(List.of("fcfs", "priority"), "--scheduling-policy"),
            bool("--enable-chunked-prefill").negatableWithNo(),
            bool("--disable-chunked-mm-input").negatableWithNo(),
            text("--scheduler-cls"),
            bool("--disable-hybrid-kv-cache-manager").negatableWithNo(),
            bool("--async-scheduling").negatableWithNo(),
            // CompilationConfig and VllmConfig
            text("--cudagraph-capture-sizes"),
            integer("--max-cudagraph-capture-size").atLeast(1),
            json("--speculative-config"),
            json("--kv-transfer-config"),
            json("--kv-events-config"),
            // JSON, or an optimisation level such as -O 3
            text("--compilation-config", "-O"),
            json("--additional-config"),
            json("--structured-outputs-config"),
            bool("--disable-log-stats"),
            bool("--aggregate-engine-logging"),
            // AsyncEngineArgs; --disable-log-requests is the deprecated opposite of --enable-log-requests
            bool("--enable-log-requests").negatableWithNo(),
            bool("--disable-log-requests").negatableWithNo(),
            // OpenAI-compatible frontend (FrontendArgs)
            text("--lora-modules"),
            text("--chat-template"),
            text("--chat-template-content-format"),
            bool("--trust-request-chat-template").negatableWithNo(),
            json("--default-chat-template-kwargs"),
            text("--response-role"),
            bool("--return-tokens-as-token-ids").negatableWithNo(),
            bool("--enable-auto-tool-choice").negatableWithNo(),
            bool("--exclude-tools-when-tool-choice-none").negatableWithNo(),
            text("--tool-call-parser"),
            text("--tool-parser-plugin"),
            text("--tool-server"),
            text("--log-config-file"),
            integer("--max-log-len").atLeast(0),
            bool("--enable-prompt-tokens-details").negatableWithNo(),
            bool("--enable-server-load-tracking").negatableWithNo(),
            bool("--enable-force-include-usage").negatableWithNo(),
            bool("--enable-tokenizer-info-endpoint").negatableWithNo(),
            bool("--enable-log-outputs").negatableWithNo(),
            bool("--log-error-stack").negatableWithNo(),
            choice(List.of("critical", "error", "warning", "info", "debug", "trace"), "--uvicorn-log-level"),
            bool("--disable-uvicorn-access-log").negatableWithNo(),
            bool("--allow-credentials").negatableWithNo(),
            text("--api-key"),
            text("--ssl-keyfile"),
            text("--ssl-certfile"),
            text("--ssl-ca-certs"),
            bool("--enable-ssl-refresh").negatableWithNo(),
            integer("--ssl-cert-reqs"),
            text("--root-path"),
            text("--middleware"),
            bool("--enable-request-id-headers").negatableWithNo(),
            bool("--disable-fastapi-docs").negatableWithNo(),
            integer("--h11-max-incomplete-event-size").atLeast(1),
            integer("--h11-max-header-count").atLeast(1),
            integer("--api-server-count", "-asc").atLeast(1));

    /**
     * {@code vox-box start}'s flags other than the ones the agent sets ({@code --model}, {@code --data-dir},
     * {@code --host}, {@code --port}). Source: github gpustack/vox-box, vox_box/cmd/start.py
     * ({@code setup_start_cmd}), commit c5d4c154177acbae752ccf8bc4d7cd409c140ddc (v0.0.21). It has no
     * {@code --cache-dir}: the cache lives under {@code --data-dir}.
     */
    public static final List<FlagSpec> VOX_BOX = List.of(
            bool("--debug", "-d"),
            text("--device"),
            text("--huggingface-repo-id"),
            text("--model-scope-model-id"));

    private BackendFlags() {
    }
}
