package dev.gpufleet.registry.backends;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BackendParametersTest {

    /** Entries of backend_parameters in one CSV cell, separated by " ; ". */
    private static List<String> entries(String cell) {
        return cell == null ? List.of() : Arrays.asList(cell.split(" ; ", -1));
    }

    private static List<String> render(List<BackendParameters.Problem> problems) {
        return problems.stream().map(p -> p.index() + ": " + p.message()).toList();
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            llama-box | --ctx-size=8192
            llama-box | --ctx-size 8192
            llama-box | --ctx-size ; 8192
            llama-box | -c ; 4096 ; --parallel=2
            llama-box | -ngl 0
            llama-box | -ngl=999
            llama-box | --gpu-layers=20
            llama-box | --n-gpu-layers ; 40
            llama-box | --no-mmap ; --flash-attn ; --no-context-shift ; --no-warmup
            llama-box | --no-kv-offload ; -nkvo
            llama-box | --mmproj=mmproj-f16.gguf ; -ts 1,1
            llama-box | --threads ; -1
            llama-box | --cache-type-k q8_0 ; -ctv=q4_0
            llama-box | --split-mode=row ; -mg 1
            llama-box | --temp 0.7 ; --top-p=0.9 ; --seed -1
            llama-box | --rope-scaling yarn ; --rope-freq-scale 0.25
            llama-box | -ngl=999 ; --gpu-layers-draft 99
            llama-box | --no-flash-attn ; --no-escape ; --no-enable-reasoning ; --no-reasoning-in-content
            llama-box | -kvu ; --swa-full ; -cmoe ; -ncmoe 4 ; -nr ; --no-cache-prompt
            llama-box | -dev CUDA0,CUDA1 ; -devd none ; -otd exps=CPU ; -ot exps=CPU
            llama-box | --draft-n 8 ; --draft-n-min 2 ; --draft-p-min 0.8 ; --lookup-ngram-min=4
            llama-box | --threads=-4 ; -tb 0 ; --threads-http 8 ; -to 600 ; -tps -1
            llama-box | --visual-max-image-size 0 ; --visual-max-image-size=448 ; --max-projected-cache 10
            llama-box | --pooling rank ; --attention=non-causal ; --numa distribute
            llama-box | --image-max-height 1024 ; --image-strength 0.75 ; --image-sampler euler_a ; --image-no-vae-tiling
            llama-box | --chat-template-kwargs {"enable_thinking":false} ; -j {"type":"object"}
            llama-box | -v ; -lv 3 ; --log-colors ; --temp -1 ; --mirostat 2 ; --prio 3 ; --poll=100
            llama-box | --rpc-server-main-gpu -1 ; --rpc-server-cache ; --rpc-server-reserve-memory 1024
            vllm      | --gpu-memory-utilization=0.85 ; --max-model-len 4096
            vllm      | --gpu-memory-utilization=1
            vllm      | --tensor-parallel-size ; 2 ; --enforce-eager
            vllm      | -tp=4 ; -pp=2
            vllm      | --no-enable-prefix-caching ; --trust-remote-code
            vllm      | --override-generation-config={"temperature": 0.5}
            vllm      | --rope-scaling {"rope_type":"yarn","factor":4.0}
            vllm      | --dtype=bfloat16 ; --kv-cache-dtype fp8
            vllm      | --enable-auto-tool-choice ; --tool-call-parser=hermes
            vllm      | --distributed-executor-backend=ray
            vllm      | --no-enable-lora ; --enable-lora ; --no-disable-custom-all-reduce ; --no-disable-sliding-window
            vllm      | --limit-mm-per-prompt {"image": 2, "video": 0} ; --mm-processor-cache-gb=0
            vllm      | -dcp 2 ; -dpl=1 ; -dpb ray ; -dpn 0 ; --enable-eplb ; --enable-dbo
            vllm      | --enable-log-requests ; --no-disable-log-requests ; --enable-log-outputs
            vllm      | --kv-transfer-config {"kv_connector":"LMCacheConnectorV1","kv_role":"kv_both"}
            vllm      | --tokenizer-mode hf ; --runner pooling ; --convert embed ; --kv-cache-dtype fp8_e5m2
            vllm      | --mamba-cache-dtype float32 ; --async-scheduling ; --max-cudagraph-capture-size 256
            vllm      | --served-model-name a b ; --api-server-count 2 ; --default-chat-template-kwargs {"x": 1}
            vox-box   | --model-scope-model-id=iic/SenseVoiceSmall ; --huggingface-repo-id Systran/faster-whisper-small
            vox-box   | --device cpu
            vox-box   | --debug ; --device=cuda:0
            mindie    | --max-seq-len=16384 ; --max-input-token-len=9000
            mindie    | --max-batch-size=400 ; --max-prefill-batch-size=300 ; --max-preempt-count 400
            mindie    | --max-prefill-batch-size=200
            mindie    | --enable-split ; --policy-type=4 ; --split-chunk-tokens=1024 ; --split-start-batch-size 200
            mindie    | --enable-split ; --no-enable-lookahead
            mindie    | --enable-lookahead ; --lookahead-level 16 ; --lookahead-window=1 ; --lookahead-guess-set-size 16
            mindie    | --enable-memory-decoding ; --memory-decoding-length=1 ; --memory-decoding-dynamic-algo
            mindie    | --enable-multi-token-prediction ; --multi-token-prediction-tokens=3
            mindie    | --enable-prefix-caching ; --no-enable-split
            mindie    | --no-enable-prefix-caching ; --rope-scaling={"type":"yarn","factor":4.0}
            mindie    | --rope-scaling={"type":"yarn","factor":4.0} ; --rope-theta 1000000
            mindie    | -tp 8 ; -dp=2 ; -sp -1 ; -moe-ep 4 ; -moe-tp=-1 ; -pp 3
            mindie    | --tensor-parallel-size=-1 ; --data-parallel-size=1
            mindie    | --log-level Debug ; --log-level=Warn
            mindie    | --no-support-select-batch ; --support-select-batch
            mindie    | --enable-buffer-response ; --prefill-expected-time-ms=500 ; --decode-expected-time-ms 50
            mindie    | --override-generation-config {"temperature": 0.5, "top_p": 0.9}
            mindie    | --dtype=float16 ; --trust-remote-code ; --truncation ; --enforce-eager ; --metrics
            mindie    | --npu-memory-fraction=1 ; --npu-memory-fraction 0.01 ; --cpu-mem-size=0
            mindie    | --cache-block-size=256 ; --cache-block-size 1
            mindie    | --prefill-policy-type=3 ; --decode-policy-type 2 ; --policy-type=7
            """)
    void acceptsGoodParameterLines(String backend, String line) {
        BackendParameters.Check check = BackendParameters.check(backend, entries(line));
        assertEquals(List.of(), render(check.errors()));
        assertEquals(List.of(), render(check.warnings()));
    }

    @ParameterizedTest(name = "{0}: {1} -> {2}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            llama-box | --port=8080                                 | 0: --port is not allowed: the agent chooses
            llama-box | -ngl=-2                                     | 0: -ngl must be an integer in [0, 999], was '-2'
            llama-box | -ngl=1000                                   | 0: -ngl must be an integer in [0, 999], was '1000'
            llama-box | --gpu-layers ; -1                           | 0: --gpu-layers must be an integer in [0, 999], was '-1'
            llama-box | --n-gpu-layers=abc                          | 0: --n-gpu-layers must be an integer in [0, 999], was 'abc'
            llama-box | --keep=-1                                   | 0: --keep must be an integer in [0, inf), was '-1'
            llama-box | --lookup-ngram-min 5                        | 0: --lookup-ngram-min must be an integer in [1, 4], was '5'
            llama-box | --visual-max-image-size 200                 | 0: --visual-max-image-size must be an integer in [224, inf), or 0, was '200'
            llama-box | --image-max-width=128                       | 0: --image-max-width must be an integer in [256, inf), was '128'
            llama-box | --image-strength 1.5                        | 0: --image-strength must be a number in [0, 1], was '1.5'
            llama-box | --pooling max                               | 0: --pooling must be one of none, mean, cls, last, rank, was 'max'
            llama-box | --numa=on                                   | 0: --numa must be one of distribute, isolate, numactl, was 'on'
            llama-box | --mirostat 3                                | 0: --mirostat must be one of 0, 1, 2, was '3'
            llama-box | --repeat-last-n=-2                          | 0: --repeat-last-n must be an integer in [-1, inf), was '-2'
            llama-box | --no-kv-offload=1                            | 0: --no-kv-offload takes no value
            llama-box | --chat-template-kwargs enable_thinking      | 0: --chat-template-kwargs must be a JSON object
            llama-box | --no-jinja                                  | 0: --no-jinja: --jinja cannot be negated
            llama-box | --ctx-size                                  | 0: --ctx-size needs a value: an integer in [0, inf)
            llama-box | --ctx-size ; --flash-attn                   | 0: --ctx-size needs a value
            llama-box | --flash-attn=true                           | 0: --flash-attn takes no value, was 'true'
            llama-box | --mmap=false                                | 0: --mmap takes no value, was 'false'; turn it off with --no-mmap
            llama-box | --no-mlock                                  | 0: --no-mlock: --mlock cannot be negated
            llama-box | --no-ctx-size                               | 0: --no-ctx-size: --ctx-size cannot be negated
            llama-box | 8192                                        | 0: expected a flag starting with '-'
            llama-box | --ctx-size=8192 ; 4096                      | 1: expected a flag starting with '-'
            llama-box | --cache-type-k=q3                           | 0: --cache-type-k must be one of f32, f16
            llama-box | --parallel 0                                | 0: --parallel must be an integer in [1, inf)
            vllm      | --host ; 0.0.0.0 ; --max-model-len=4096     | 0: --host is not allowed
            vllm      | --gpu-memory-utilization=1.5                | 0: --gpu-memory-utilization must be a number in (0, 1], was '1.5'
            vllm      | --gpu-memory-utilization=0                  | 0: --gpu-memory-utilization must be a number in (0, 1]
            vllm      | --gpu-memory-utilization=NaN                | 0: --gpu-memory-utilization must be a number
            vllm      | --dtype fp8                                 | 0: --dtype must be one of auto, half, float16, bfloat16, float, float32, was 'fp8'
            vllm      | --override-generation-config {temperature}  | 0: --override-generation-config must be a JSON object, e.g. {"temperature": 0.5}, was '{temperature}' (not valid JSON)
            vllm      | --rope-scaling=[1,2]                        | 0: --rope-scaling must be a JSON object
            vllm      | --tensor-parallel-size=0                    | 0: --tensor-parallel-size must be an integer in [1, inf)
            vllm      | --enforce-eager=yes                         | 0: --enforce-eager takes no value
            vllm      | --limit-mm-per-prompt image=2               | 0: --limit-mm-per-prompt must be a JSON object
            vllm      | -dpb nccl                                   | 0: -dpb must be one of mp, ray, was 'nccl'
            vllm      | --mamba-ssm-cache-dtype=fp8                 | 0: --mamba-ssm-cache-dtype must be one of auto, float32, float16, bfloat16
            vllm      | --no-disable-log-stats                      | 0: --no-disable-log-stats: --disable-log-stats cannot be negated
            vllm      | -dcp 0                                      | 0: -dcp must be an integer in [1, inf)
            vox-box   | --cache-dir=/tmp/cache                      | 0: unknown flag --cache-dir
            vox-box   | --host=::                                   | 0: --host is not allowed
            vox-box   | --threads 4                                 | 0: unknown flag --threads
            vox-box   | --debgu                                     | 0: unknown flag --debgu; did you mean --debug?
            vox-box   | --debug=1                                   | 0: --debug takes no value
            mindie    | --port 1025                                 | 0: --port is not allowed
            mindie    | --max-seq-length=4096                       | 0: unknown flag --max-seq-length; did you mean --max-seq-len
            mindie    | --max-link-num=0                            | 0: --max-link-num must be an integer in [1, 1000], was '0'
            mindie    | --max-link-num=1001                         | 0: --max-link-num must be an integer in [1, 1000], was '1001'
            mindie    | --token-timeout=3601                        | 0: --token-timeout must be an integer in [1, 3600]
            mindie    | --e2e-timeout=0                             | 0: --e2e-timeout must be an integer in [1, 3600]
            mindie    | --max-seq-len=0                             | 0: --max-seq-len must be an integer in (0, inf)
            mindie    | --cpu-mem-size=-1                           | 0: --cpu-mem-size must be an integer in [0, inf)
            mindie    | --npu-memory-fraction=0                     | 0: --npu-memory-fraction must be a number in (0, 1], was '0'
            mindie    | --npu-memory-fraction=1.01                  | 0: --npu-memory-fraction must be a number in (0, 1]
            mindie    | --cache-block-size=96                       | 0: --cache-block-size must be an integer in (0, inf), a power of two, was '96' (not a power of two)
            mindie    | --cache-block-size=0                        | 0: --cache-block-size must be an integer in (0, inf), a power of two
            mindie    | -tp 3                                       | 0: -tp must be an integer in (0, inf), a power of two, or -1, was '3' (not a power of two)
            mindie    | -dp 0                                       | 0: -dp must be an integer in (0, inf), a power of two, or -1, was '0'
            mindie    | --sequence-parallel-size=6                  | 0: --sequence-parallel-size must be an integer
            mindie    | -moe-ep=-2                                  | 0: -moe-ep must be an integer
            mindie    | --moe-tensor-parallel-size 12               | 0: --moe-tensor-parallel-size must be an integer
            mindie    | -pp 0                                       | 0: -pp must be an integer in (0, inf)
            mindie    | --max-input-token-len=9000                  | 0: --max-input-token-len must be at most --max-seq-len (8192), was '9000'
            mindie    | --max-seq-len=4096 ; --max-input-token-len=8192 | 1: --max-input-token-len must be at most --max-seq-len (4096)
            mindie    | --max-prefill-batch-size=300                | 0: --max-prefill-batch-size must be at most --max-batch-size (200), was '300'
            mindie    | --max-prefill-batch-size=0                  | 0: --max-prefill-batch-size must be an integer in [1, --max-batch-size]
            mindie    | --max-batch-size=5001                       | 0: --max-batch-size must be an integer in [1, 5000]
            mindie    | --max-batch-size=100 ; --max-preempt-count=101 | 1: --max-preempt-count must be at most --max-batch-size (100)
            mindie    | --prefill-time-ms-per-req=1001              | 0: --prefill-time-ms-per-req must be an integer in [0, 1000]
            mindie    | --decode-time-ms-per-req=-1                 | 0: --decode-time-ms-per-req must be an integer in [0, 1000]
            mindie    | --max-queue-delay-microseconds=499          | 0: --max-queue-delay-microseconds must be an integer in [500, 1000000]
            mindie    | --max-queue-delay-microseconds=1000001      | 0: --max-queue-delay-microseconds must be an integer in [500, 1000000]
            mindie    | --split-chunk-tokens=511                    | 0: --split-chunk-tokens must be an integer in [512, --max-input-token-len]
            mindie    | --max-seq-len=1024 ; --split-chunk-tokens=2048 | 1: --split-chunk-tokens must be at most --max-input-token-len (1024)
            mindie    | --split-start-batch-size=201                | 0: --split-start-batch-size must be at most --max-batch-size (200)
            mindie    | --memory-decoding-length=17                 | 0: --memory-decoding-length must be an integer in [1, 16]
            mindie    | --lookahead-level=2                         | 0: --lookahead-level must be an integer in [3, 16]
            mindie    | --lookahead-window=17                       | 0: --lookahead-window must be an integer in [1, 16]
            mindie    | --lookahead-guess-set-size=0                | 0: --lookahead-guess-set-size must be an integer in [1, 16]
            mindie    | --multi-token-prediction-tokens=0           | 0: --multi-token-prediction-tokens must be an integer in (0, inf)
            mindie    | --log-level=Trace                           | 0: --log-level must be one of Verbose, Info, Warning, Warn, Error, Debug, was 'Trace'
            mindie    | --log-level=info                            | 0: --log-level must be one of Verbose
            mindie    | --prefill-policy-type=4                     | 0: --prefill-policy-type must be one of 0, 1, 2, 3
            mindie    | --policy-type 3                             | 0: --policy-type must be one of 0, 4, 5, 6, 7, was '3'
            mindie    | --dtype=fp8                                 | 0: --dtype must be one of auto
            mindie    | --rope-theta=0                              | 0: --rope-theta must be a number in (0, inf)
            mindie    | --override-generation-config=temperature    | 0: --override-generation-config must be a JSON object
            mindie    | --trust-remote-code=true                    | 0: --trust-remote-code takes no value
            mindie    | --enable-split=false                        | 0: --enable-split takes no value, was 'false'; turn it off with --no-enable-split
            mindie    | --no-trust-remote-code                      | 0: --no-trust-remote-code: --trust-remote-code cannot be negated
            mindie    | --enable-split ; --enable-lookahead         | 1: --enable-lookahead cannot be used together with --enable-split (backend_parameters[0])
            mindie    | --enable-memory-decoding ; --enable-split   | 1: --enable-split cannot be used together with --enable-memory-decoding (backend_parameters[0])
            mindie    | --enable-split ; --enable-multi-token-prediction | 1: --enable-multi-token-prediction cannot be used together with --enable-split
            mindie    | --enable-lookahead ; --enable-memory-decoding | 1: --enable-memory-decoding cannot be used together with --enable-lookahead
            mindie    | --enable-multi-token-prediction ; --enable-lookahead | 1: --enable-lookahead cannot be used together with --enable-multi-token-prediction
            mindie    | --enable-prefix-caching ; --rope-scaling={"type":"yarn","factor":4.0} | 1: --rope-scaling cannot be used together with --enable-prefix-caching
            mindie    | --rope-scaling={"type":"yarn","factor":4.0} ; --enable-prefix-caching | 1: --enable-prefix-caching cannot be used together with --rope-scaling
            mindie    | --no-enable-split ; --enable-split ; --enable-lookahead | 2: --enable-lookahead cannot be used together with --enable-split (backend_parameters[1])
            """)
    void refusesBadParameterLinesNamingFlagValueAndWhatIsAllowed(String backend, String line, String expected) {
        BackendParameters.Check check = BackendParameters.check(backend, entries(line));
        List<String> errors = render(check.errors());
        assertEquals(1, errors.size(), () -> "errors: " + errors);
        assertTrue(errors.get(0).startsWith(expected), () -> "expected '" + expected + "...' but was " + errors);
    }

    @ParameterizedTest(name = "{0}: {1} -> {2}")
    @CsvSource(delimiter = '|', textBlock = """
            llama-box | --ctx-szie=8192                 | 0: unknown flag --ctx-szie; did you mean --ctx-size?
            llama-box | --spec-replace ; A ; B          | 0: unknown flag --spec-replace
            llama-box | --gpu-layer=10 ; --ctx-size=512 | 0: unknown flag --gpu-layer; did you mean --gpu-layers
            vllm      | --max-model-length=4096         | 0: unknown flag --max-model-length; did you mean --max-model-len?
            vllm      | --max-seq-len-to-capture ; 8192 | 0: unknown flag --max-seq-len-to-capture
            llama-box | --n-predict ; -2                | 0: unknown flag --n-predict
            llama-box | --cont-batching                 | 0: unknown flag --cont-batching
            llama-box | --no-cont-batching              | 0: unknown flag --no-cont-batching
            llama-box | --slots                         | 0: unknown flag --slots
            vllm      | --no-such-flag                  | 0: unknown flag --no-such-flag
            """)
    void unknownFlagsAreWarningsForLlamaBoxAndVllmBecauseTheyGrowNewOnes(String backend, String line, String expected) {
        BackendParameters.Check check = BackendParameters.check(backend, entries(line));
        List<String> warnings = render(check.warnings());
        List<String> errors = render(check.errors());
        boolean extraPositional = line.contains("; A ; B");
        assertEquals(extraPositional ? 1 : 0, errors.size(), () -> "errors: " + errors);
        assertEquals(1, warnings.size(), () -> "warnings: " + warnings);
        assertTrue(warnings.get(0).startsWith(expected), () -> "expected '" + expected + "...' but was " + warnings);
        assertTrue(warnings.get(0).endsWith("in case the backend version knows it"), warnings.get(0));
    }

    @Test
    void everyFlagNameIsWrittenOnceAndLooksLikeAFlag() {
        for (List<FlagSpec> table : List.of(BackendFlags.LLAMA_BOX, BackendFlags.VLLM, BackendFlags.VOX_BOX)) {
            List<String> names = table.stream().flatMap(f -> f.names().stream()).toList();
            assertEquals(names.size(), new java.util.HashSet<>(names).size(), () -> "duplicates in " + names);
            for (FlagSpec flag : table) {
                assertTrue(flag.name().startsWith("--"), flag.name());
                assertTrue(flag.names().stream().allMatch(n -> n.matches("--?[A-Za-z0-9][A-Za-z0-9-]*")),
                        flag.names()::toString);
                assertTrue(flag.names().stream().noneMatch(BackendParameters.AGENT_OWNED::contains),
                        flag.names()::toString);
            }
        }
    }

    @Test
    void reportsEveryProblemAtOnceInOrder() {
        BackendParameters.Check check = BackendParameters.check(BackendSelector.MINDIE, List.of(
                "--max-link-num=0", "--port", "8080", "--dtype=fp8", "--enable-split", "--enable-lookahead",
                "--bogus"));
        assertEquals(List.of(0, 1, 3, 5, 6), check.errors().stream().map(BackendParameters.Problem::index).toList(),
                () -> render(check.errors()).toString());
        assertEquals(List.of(), check.warnings());
    }

    @Test
    void blankEntriesAreErrorsNotCrashes() {
        List<String> parameters = new ArrayList<>(List.of("--ctx-size=8192", " ", ""));
        parameters.add(null);
        assertEquals(List.of("1: must be a command-line argument such as '--ctx-size=8192', was ' '",
                        "2: must be a command-line argument such as '--ctx-size=8192', was ''",
                        "3: must be a command-line argument such as '--ctx-size=8192', was null"),
                render(BackendParameters.check(BackendSelector.LLAMA_BOX, parameters).errors()));
    }

    @Test
    void aHugeUnknownFlagIsShownShortened() {
        String huge = "--" + "x".repeat(1_000_000);
        List<String> errors = render(BackendParameters.check(BackendSelector.MINDIE, List.of(huge, "1")).errors());
        assertEquals(List.of("0: unknown flag '--" + "x".repeat(78) + "...'"), errors);
    }

    @Test
    void noBackendOrNoParametersMeansNothingToCheck() {
        assertEquals(new BackendParameters.Check(List.of(), List.of()), BackendParameters.check("vllm", List.of()));
        assertEquals(new BackendParameters.Check(List.of(), List.of()), BackendParameters.check(null, List.of("-x")));
    }

    /** Every MindIE parameter's bounds, from the table: each bound accepted, one step past it refused. */
    static Stream<Arguments> mindieBoundaries() {
        List<Arguments> rows = new ArrayList<>();
        for (FlagSpec flag : MindieParameters.FLAGS) {
            if (flag.kind() != FlagSpec.Kind.INTEGER && flag.kind() != FlagSpec.Kind.NUMBER) {
                continue;
            }
            double step = flag.kind() == FlagSpec.Kind.INTEGER ? 1 : 0.001;
            if (flag.min() != null) {
                double lowest = flag.minExclusive() ? flag.min() + step : flag.min();
                if (!flag.powerOfTwo() || lowest >= 1) {
                    rows.add(Arguments.of(flag.name(), format(flag, lowest), true));
                }
                if (flag.exceptValue() == null || lowest - step != flag.exceptValue()) {
                    rows.add(Arguments.of(flag.name(), format(flag, lowest - step), false));
                }
            }
            if (flag.max() != null) {
                rows.add(Arguments.of(flag.name(), format(flag, flag.max()), true));
                rows.add(Arguments.of(flag.name(), format(flag, flag.max() + step), false));
            }
            if (flag.defaultValue() != null) {
                rows.add(Arguments.of(flag.name(), flag.defaultValue(), true));
            }
            if (flag.powerOfTwo()) {
                rows.add(Arguments.of(flag.name(), "64", true));
                rows.add(Arguments.of(flag.name(), "48", false));
            }
        }
        return rows.stream();
    }

    private static String format(FlagSpec flag, double value) {
        return flag.kind() == FlagSpec.Kind.INTEGER ? Long.toString(Math.round(value)) : Double.toString(value);
    }

    @ParameterizedTest(name = "{0}={1} accepted: {2}")
    @MethodSource("mindieBoundaries")
    void everyMindieBoundaryFromTheTable(String flag, String value, boolean accepted) {
        BackendParameters.Check check = BackendParameters.check(BackendSelector.MINDIE, List.of(flag + "=" + value));
        assertEquals(accepted, check.errors().isEmpty(), () -> render(check.errors()).toString());
    }

    @Test
    void theMindieTableHasEveryParameterOfTheSeed() {
        List<String> names = MindieParameters.FLAGS.stream().flatMap(f -> f.names().stream()).toList();
        assertEquals(List.of("--log-level", "--max-link-num", "--token-timeout", "--e2e-timeout", "--max-seq-len",
                "--max-input-token-len", "--truncation", "--cpu-mem-size", "--npu-memory-fraction",
                "--trust-remote-code", "--cache-block-size", "--max-prefill-batch-size", "--prefill-time-ms-per-req",
                "--prefill-policy-type", "--max-batch-size", "--decode-time-ms-per-req", "--decode-policy-type",
                "--max-preempt-count", "--support-select-batch", "--max-queue-delay-microseconds",
                "--override-generation-config", "--enforce-eager", "--metrics", "--dtype", "--rope-scaling",
                "--rope-theta", "--enable-split", "--policy-type", "--split-chunk-tokens", "--split-start-batch-size",
                "--enable-memory-decoding", "--memory-decoding-length", "--memory-decoding-dynamic-algo",
                "--enable-lookahead", "--lookahead-level", "--lookahead-window", "--lookahead-guess-set-size",
                "--enable-multi-token-prediction", "--multi-token-prediction-tokens", "--enable-prefix-caching",
                "--pipeline-parallel-size", "-pp", "--data-parallel-size", "-dp", "--tensor-parallel-size", "-tp",
                "--sequence-parallel-size", "-sp", "--moe-expert-parallel-size", "-moe-ep",
                "--moe-tensor-parallel-size", "-moe-tp", "--enable-buffer-response", "--prefill-expected-time-ms",
                "--decode-expected-time-ms"), names);
    }

    @Test
    void mindieEffectiveValuesAreTheSeedDefaults() {
        Map<String, Object> values = MindieParameters.effectiveValues(List.of());
        assertEquals("Info", values.get("--log-level"));
        assertEquals(1000L, values.get("--max-link-num"));
        assertEquals(60L, values.get("--token-timeout"));
        assertEquals(60L, values.get("--e2e-timeout"));
        assertEquals(8192L, values.get("--max-seq-len"));
        assertEquals(8192L, values.get("--max-input-token-len"), "derived from --max-seq-len");
        assertEquals(0L, values.get("--cpu-mem-size"));
        assertEquals(0.9, values.get("--npu-memory-fraction"));
        assertEquals(128L, values.get("--cache-block-size"));
        assertEquals(50L, values.get("--max-prefill-batch-size"));
        assertEquals(150L, values.get("--prefill-time-ms-per-req"));
        assertEquals("0", values.get("--prefill-policy-type"));
        assertEquals(200L, values.get("--max-batch-size"));
        assertEquals(50L, values.get("--decode-time-ms-per-req"));
        assertEquals("0", values.get("--decode-policy-type"));
        assertEquals(0L, values.get("--max-preempt-count"));
        assertEquals(5000L, values.get("--max-queue-delay-microseconds"));
        assertEquals("auto", values.get("--dtype"));
        assertEquals("0", values.get("--policy-type"));
        assertEquals(512L, values.get("--split-chunk-tokens"));
        assertEquals(16L, values.get("--split-start-batch-size"));
        assertEquals(16L, values.get("--memory-decoding-length"));
        assertEquals(4L, values.get("--lookahead-level"));
        assertEquals(5L, values.get("--lookahead-window"));
        assertEquals(5L, values.get("--lookahead-guess-set-size"));
        assertEquals(1L, values.get("--multi-token-prediction-tokens"));
        assertEquals(1L, values.get("--pipeline-parallel-size"));
        for (String parallelism : List.of("--data-parallel-size", "--tensor-parallel-size", "--sequence-parallel-size",
                "--moe-expert-parallel-size", "--moe-tensor-parallel-size")) {
            assertEquals(-1L, values.get(parallelism), parallelism);
        }
        for (String flag : List.of("--truncation", "--trust-remote-code", "--support-select-batch", "--enforce-eager",
                "--metrics", "--enable-split", "--enable-memory-decoding", "--memory-decoding-dynamic-algo",
                "--enable-lookahead", "--enable-multi-token-prediction", "--enable-prefix-caching",
                "--enable-buffer-response")) {
            assertEquals(false, values.get(flag), flag);
        }
        for (String unset : List.of("--override-generation-config", "--rope-scaling", "--rope-theta",
                "--prefill-expected-time-ms", "--decode-expected-time-ms")) {
            assertTrue(!values.containsKey(unset), unset);
        }
    }

    @Test
    void mindieEffectiveValuesTakeTheOperatorsLastWord() {
        Map<String, Object> values = MindieParameters.effectiveValues(List.of("--max-seq-len", "16384",
                "-tp=4", "--enable-prefix-caching", "--no-enable-prefix-caching", "--support-select-batch",
                "--npu-memory-fraction 0.5", "--log-level=Debug", "--max-batch-size=abc",
                "--rope-theta=1000000.0"));
        assertEquals(16384L, values.get("--max-seq-len"));
        assertEquals(16384L, values.get("--max-input-token-len"));
        assertEquals(4L, values.get("--tensor-parallel-size"));
        assertEquals(false, values.get("--enable-prefix-caching"));
        assertEquals(true, values.get("--support-select-batch"));
        assertEquals(0.5, values.get("--npu-memory-fraction"));
        assertEquals("Debug", values.get("--log-level"));
        assertEquals(200L, values.get("--max-batch-size"), "a bad value is an error elsewhere; the default stays");
        assertEquals(1_000_000.0, values.get("--rope-theta"));
    }

    @ParameterizedTest(name = "{0} vs {1} -> {2}")
    @CsvSource(textBlock = """
            --ctx-size, --ctx-size, 0
            --ctx-szie, --ctx-size, 2
            --gpu-layer, --gpu-layers, 1
            '', abc, 3
            kitten, sitting, 3
            """)
    void editDistance(String a, String b, int expected) {
        assertEquals(expected, BackendParameters.editDistance(a, b));
    }
}
