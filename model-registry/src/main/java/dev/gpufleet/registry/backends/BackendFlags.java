package dev.gpufleet.registry.backends;

import java.util.List;

import static dev.gpufleet.registry.backends.FlagSpec.bool;
import static dev.gpufleet.registry.backends.FlagSpec.choice;
import static dev.gpufleet.registry.backends.FlagSpec.integer;
import static dev.gpufleet.registry.backends.FlagSpec.json;
import static dev.gpufleet.registry.backends.FlagSpec.number;
import static dev.gpufleet.registry.backends.FlagSpec.text;

/**
 * The command-line flags we know for llama-box, vLLM and vox-box (MindIE's are in {@link MindieParameters}).
 * The llama-box and vLLM tables are the commonly used flags, not every flag: unknown ones are only warnings
 * for those two (see {@link BackendParameters#unknownFlagsAllowed}).
 */
public final class BackendFlags {
    private static final List<String> CACHE_TYPES =
            List.of("f32", "f16", "bf16", "q8_0", "q4_0", "q4_1", "iq4_nl", "q5_0", "q5_1");

    /** llama.cpp server flags that llama-box shares, plus llama-box's own image and RPC flags. */
    public static final List<FlagSpec> LLAMA_BOX = List.of(
            integer("--gpu-layers", "-ngl", "--n-gpu-layers").range(0, 999),
            integer("--ctx-size", "-c").atLeast(0),
            integer("--parallel", "-np").atLeast(1),
            integer("--threads", "-t").atLeast(-1),
            integer("--threads-batch", "-tb").atLeast(-1),
            integer("--batch-size", "-b").atLeast(1),
            integer("--ubatch-size", "-ub").atLeast(1),
            integer("--n-predict", "-n", "--predict").atLeast(-2),
            integer("--keep").atLeast(-1),
            integer("--main-gpu", "-mg").atLeast(0),
            choice(List.of("none", "layer", "row"), "--split-mode", "-sm"),
            text("--tensor-split", "-ts"),
            text("--override-tensor", "-ot"),
            bool("--flash-attn", "-fa"),
            choice(CACHE_TYPES, "--cache-type-k", "-ctk"),
            choice(CACHE_TYPES, "--cache-type-v", "-ctv"),
            number("--defrag-thold", "-dt"),
            integer("--cache-reuse").atLeast(0),
            bool("--cont-batching", "-cb").negatableWithNo(),
            bool("--mmap").negatableWithNo(),
            bool("--mlock"),
            bool("--warmup").negatableWithNo(),
            bool("--kv-offload").negatableWithNo(),
            bool("--no-kv-offload", "-nkvo"),
            bool("--embeddings", "--embedding"),
            bool("--rerank", "--reranking"),
            bool("--metrics"),
            bool("--slots"),
            bool("--jinja"),
            bool("--verbose", "-v"),
            bool("--log-disable"),
            text("--alias", "-a"),
            text("--chat-template"),
            text("--mmproj"),
            integer("--max-projected-cache").atLeast(0),
            text("--lora"),
            text("--rpc"),
            choice(List.of("none", "linear", "yarn"), "--rope-scaling"),
            number("--rope-freq-base"),
            number("--rope-freq-scale"),
            number("--temp").atLeast(0),
            integer("--top-k").atLeast(0),
            number("--top-p").range(0, 1),
            number("--min-p").range(0, 1),
            number("--repeat-penalty").atLeast(0),
            integer("--seed", "-s"),
            text("--model-draft", "-md"),
            integer("--draft-max", "--draft").atLeast(0),
            bool("--images"),
            bool("--image-vae-tiling"),
            integer("--visual-max-image-size").atLeast(0),
            bool("--spm-infill"));

    /** vLLM's common engine and server arguments ({@code vllm serve --help}). */
    public static final List<FlagSpec> VLLM = List.of(
            integer("--tensor-parallel-size", "-tp").atLeast(1),
            integer("--pipeline-parallel-size", "-pp").atLeast(1),
            integer("--data-parallel-size", "-dp").atLeast(1),
            bool("--enable-expert-parallel").negatableWithNo(),
            choice(List.of("ray", "mp", "uni", "external_launcher"), "--distributed-executor-backend"),
            number("--gpu-memory-utilization").above(0).atMost(1).withDefault("0.9"),
            integer("--max-model-len").atLeast(1),
            integer("--max-num-seqs").atLeast(1),
            integer("--max-num-batched-tokens").atLeast(1),
            integer("--max-seq-len-to-capture").atLeast(1),
            choice(List.of("auto", "half", "float16", "bfloat16", "float", "float32"), "--dtype")
                    .withDefault("auto"),
            text("--quantization", "-q"),
            text("--kv-cache-dtype"),
            integer("--block-size").atLeast(1),
            number("--swap-space").atLeast(0),
            number("--cpu-offload-gb").atLeast(0),
            bool("--enforce-eager").negatableWithNo(),
            bool("--trust-remote-code").negatableWithNo(),
            bool("--enable-prefix-caching").negatableWithNo(),
            bool("--enable-chunked-prefill").negatableWithNo(),
            integer("--seed"),
            text("--tokenizer"),
            text("--revision"),
            text("--tokenizer-revision"),
            choice(List.of("auto", "slow", "mistral", "custom"), "--tokenizer-mode"),
            text("--chat-template"),
            bool("--enable-auto-tool-choice"),
            text("--tool-call-parser"),
            text("--reasoning-parser"),
            text("--limit-mm-per-prompt"),
            json("--mm-processor-kwargs"),
            json("--rope-scaling"),
            number("--rope-theta"),
            json("--hf-overrides"),
            json("--speculative-config"),
            text("--compilation-config", "-O"),
            text("--generation-config"),
            json("--override-generation-config"),
            text("--load-format"),
            text("--task"),
            text("--runner"),
            integer("--max-logprobs").atLeast(0),
            choice(List.of("fcfs", "priority"), "--scheduling-policy"),
            bool("--enable-lora"),
            integer("--max-loras").atLeast(1),
            integer("--max-lora-rank").atLeast(1),
            text("--lora-modules"),
            bool("--disable-log-requests"),
            bool("--disable-log-stats"),
            choice(List.of("critical", "error", "warning", "info", "debug", "trace"), "--uvicorn-log-level"),
            bool("--disable-custom-all-reduce"),
            bool("--disable-sliding-window"));

    /** {@code vox-box start}'s flags other than the ones the agent sets (--model, --data-dir, --host, --port). */
    public static final List<FlagSpec> VOX_BOX = List.of(
            bool("--debug", "-d"),
            text("--device"),
            text("--huggingface-repo-id"),
            text("--model-scope-model-id"),
            text("--cache-dir"));

    private BackendFlags() {
    }
}
