package dev.gpufleet.registry.models;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gpufleet.events.ModelSource;
import dev.gpufleet.events.ModelSpec;
import dev.gpufleet.events.spec.LocalRoots;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelSpecValidatorTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String HF_GGUF = "\"source\":{\"type\":\"huggingface\",\"repo_id\":\"Qwen/Qwen2.5-0.5B-Instruct-GGUF\","
            + "\"file_name\":\"*q4_k_m.gguf\"}";

    /** A bad body and the field errors it must produce, in order. */
    record BadBody(String body, List<String> errors) {
        @Override
        public String toString() {
            return body;
        }
    }

    static Stream<BadBody> badBodies() {
        return Stream.of(
                bad("{" + HF_GGUF + "}", "name: required"),
                bad("{\"name\":\"\"," + HF_GGUF + "}", "name: required"),
                bad("{\"name\":\"-qwen\"," + HF_GGUF + "}", "name: must be 1 to 63 characters of letters, digits, "
                        + "'.', '_' or '-', starting with a letter or digit, was '-qwen'"),
                bad("{\"name\":\"qwen 7b\"," + HF_GGUF + "}", "name: must be 1 to 63 characters"),
                bad("{\"name\":\"" + "a".repeat(64) + "\"," + HF_GGUF + "}", "name: must be 1 to 63 characters"),
                bad("{\"name\":\"m\"}", "source: required"),
                bad("{\"name\":\"m\",\"source\":{}}", "source.type: required, one of huggingface, modelscope, local_path"),
                bad("{\"name\":\"m\",\"source\":{\"type\":\"ftp\"}}",
                        "source.type: must be one of huggingface, modelscope, local_path, was 'ftp'"),
                bad("{\"name\":\"m\",\"source\":{\"type\":\"huggingface\"}}", "source.repo_id: required for this source type"),
                bad("{\"name\":\"m\",\"source\":{\"type\":\"huggingface\",\"repo_id\":\"a/b\",\"path\":\"/x\"}}",
                        "source.path: not used by huggingface sources (they use repo_id, file_name, revision)"),
                bad("{\"name\":\"m\",\"source\":{\"type\":\"huggingface\",\"repo_id\":\"a b\"}}",
                        "source.repo_id: must not contain spaces, was 'a b'"),
                bad("{\"name\":\"m\",\"source\":{\"type\":\"modelscope\",\"repo_id\":\"a/b\"}}",
                        "source.repo_id: not used by modelscope sources", "source.model_id: required for this source type"),
                bad("{\"name\":\"m\",\"source\":{\"type\":\"local_path\"}}", "source.path: required for this source type"),
                bad("{\"name\":\"m\",\"source\":{\"type\":\"huggingface\",\"repo_id\":\" \"}}",
                        "source.repo_id: must not be blank"),
                bad("{\"name\":\"m\",\"source\":{\"type\":\"local_path\",\"path\":\"\"}}",
                        "source.path: must not be blank"),
                bad("{\"name\":\"m\",\"source\":{\"type\":\"local_path\",\"path\":\"models/x.gguf\"}}",
                        "source.path: must be an absolute path on the workers, was 'models/x.gguf'"),
                bad("{\"name\":\"m\"," + HF_GGUF + ",\"backend_parameters\":[\"--port=8080\",\"-ngl\",\"-2\"]}",
                        "backend_parameters[0]: --port is not allowed: the agent chooses the address and port",
                        "backend_parameters[1]: -ngl must be an integer in [0, 999], was '-2' (backend llama-box)"),
                bad("{\"name\":\"m\",\"source\":{\"type\":\"huggingface\",\"repo_id\":\"a/b\"},\"backend\":\"mindie\","
                        + "\"backend_parameters\":[\"--cache-block-size=96\",\"--enable-split\",\"--enable-lookahead\"]}",
                        "backend_parameters[0]: --cache-block-size must be an integer in (0, inf), a power of two, "
                                + "was '96' (not a power of two) (backend mindie)",
                        "backend_parameters[2]: --enable-lookahead cannot be used together with --enable-split"),
                bad("{\"name\":\"m\",\"source\":{\"type\":\"local_path\",\"path\":\"/m/faster-whisper-tiny\"},"
                        + "\"backend_parameters\":[\"--threads\",\"4\"]}",
                        "backend_parameters[0]: unknown flag --threads (backend vox-box)"),
                bad("{\"name\":\"m\",\"source\":{\"type\":\"huggingface\",\"repo_id\":\"a/b\"},"
                        + "\"worker_selector\":{\"os\":\"windows\"}}",
                        "worker_selector.os: backend vllm runs only on Linux workers, so it must be 'linux' or unset, "
                                + "was 'windows'"),
                bad("{\"name\":\"m\",\"source\":{\"type\":\"huggingface\",\"repo_id\":\"a/b\"},\"backend\":\"mindie\","
                        + "\"worker_selector\":{\"os\":\"darwin\"}}",
                        "worker_selector.os: backend mindie runs only on Linux workers"),
                bad("{\"name\":\"m\",\"source\":{\"type\":\"huggingface\",\"repo_id\":\"gpustack/CosyVoice2-0.5B\"},"
                        + "\"worker_selector\":{\"os\":\"linux\",\"arch\":\"arm64\"}}",
                        "worker_selector: CosyVoice2-0.5B runs only on darwin, linux/amd64, not on os=linux arch=arm64"),
                bad("{\"name\":\"m\",\"source\":{\"type\":\"huggingface\",\"repo_id\":\"a/b\",\"hub\":\"x\"}}",
                        "source.hub: unknown field; known fields are type, repo_id, file_name, revision, model_id, "
                                + "file_path, path"),
                bad("{\"name\":\"m\"," + HF_GGUF + ",\"replica\":2}", "replica: unknown field; known fields are name,"),
                bad("{\"name\":\"m\"," + HF_GGUF + ",\"replicas\":-1}", "replicas: must be between 0 and 1000, was -1"),
                bad("{\"name\":\"m\"," + HF_GGUF + ",\"replicas\":1001}", "replicas: must be between 0 and 1000, was 1001"),
                bad("{\"name\":\"m\"," + HF_GGUF + ",\"backend\":\"ollama\"}",
                        "backend: must be one of llama-box, vllm, vox-box, mindie, was 'ollama'"),
                bad("{\"name\":\"m\",\"source\":{\"type\":\"huggingface\",\"repo_id\":\"a/b\"},\"backend\":\"llama-box\"}",
                        "source.file_name: backend llama-box needs a GGUF file name"),
                bad("{\"name\":\"m\",\"source\":{\"type\":\"modelscope\",\"model_id\":\"a/b\"},\"backend\":\"llama-box\"}",
                        "source.file_path: backend llama-box needs a GGUF file path"),
                bad("{\"name\":\"m\",\"source\":{\"type\":\"local_path\",\"path\":\"/m/x\"},\"backend\":\"llama-box\"}",
                        "source.path: backend llama-box needs the path of a .gguf file, was '/m/x'"),
                bad("{\"name\":\"m\"," + HF_GGUF + ",\"backend_version\":\"v 1\"}",
                        "backend_version: must be a version without spaces, was 'v 1'"),
                bad("{\"name\":\"m\"," + HF_GGUF + ",\"backend_parameters\":[\"--ctx-size=8192\",\" \"]}",
                        "backend_parameters[1]: must be a command-line argument"),
                bad("{\"name\":\"m\"," + HF_GGUF + ",\"env\":{\"1BAD\":\"s3cret\"}}",
                        "env: variable names must be letters, digits and '_', not starting with a digit, was '1BAD'"),
                bad("{\"name\":\"m\"," + HF_GGUF + ",\"env\":{\"TOKEN\":null}}", "env.TOKEN: must be a string, was null"),
                bad("{\"name\":\"m\"," + HF_GGUF + ",\"categories\":[\"llm\",\"chat\"]}",
                        "categories[1]: must be one of llm, embedding, image, reranker, speech-to-text, text-to-speech, "
                                + "was 'chat'"),
                bad("{\"name\":\"m\"," + HF_GGUF + ",\"placement_strategy\":\"pack\"}",
                        "placement_strategy: must be one of spread, binpack, was 'pack'"),
                bad("{\"name\":\"m\",\"source\":{\"type\":\"huggingface\",\"repo_id\":\"a/b\"},\"cpu_offloading\":true}",
                        "cpu_offloading: must be false for backend vllm"),
                bad("{\"name\":\"m\",\"source\":{\"type\":\"huggingface\",\"repo_id\":\"Systran/faster-whisper-tiny\"},"
                        + "\"distributed_inference\":true}", "distributed_inference: must be false for backend vox-box"),
                bad("{\"name\":\"m\"," + HF_GGUF + ",\"worker_selector\":{\"gpu\":null}}",
                        "worker_selector.gpu: must be a string, was null"),
                bad("{\"name\":\"m\"," + HF_GGUF + ",\"gpu_selector\":[\"node-1:cuda:0\",\"node-1\"]}",
                        "gpu_selector[1]: must be '<worker name>:<device type>:<gpu index>', e.g. 'node-1:cuda:0', "
                                + "was 'node-1'"),
                // every problem at once, in field order
                bad("{\"name\":\"bad name\",\"source\":{\"type\":\"ftp\"},\"replicas\":5000,\"placement_strategy\":\"x\"}",
                        "name: must be 1 to 63", "source.type: must be one of", "replicas: must be between 0 and 1000",
                        "placement_strategy: must be one of"));
    }

    @ParameterizedTest
    @MethodSource("badBodies")
    void rejectsWithEveryProblemNamed(BadBody bad) throws Exception {
        ModelSpecValidator.Result result = ModelSpecValidator.validate(JSON.readValue(bad.body(), ModelSpecRequest.class));
        assertFalse(result.valid());
        assertNull(result.spec());
        List<String> errors = result.errors().stream().map(FieldError::toString).toList();
        assertEquals(bad.errors().size(), errors.size(), () -> "errors: " + errors);
        for (int i = 0; i < errors.size(); i++) {
            assertTrue(errors.get(i).startsWith(bad.errors().get(i)),
                    "expected '" + bad.errors().get(i) + "...' but was '" + errors.get(i) + "'");
        }
        assertTrue(result.message().startsWith("Invalid model spec: "));
    }

    @Test
    void neverEchoesEnvValues() throws Exception {
        ModelSpecValidator.Result result = ModelSpecValidator.validate(JSON.readValue(
                "{\"name\":\"m\"," + HF_GGUF + ",\"env\":{\"1BAD\":\"s3cret-value\",\"OK\":\"other-s3cret\"},"
                        + "\"replicas\":-1}", ModelSpecRequest.class));
        assertFalse(result.message().contains("s3cret"), result.message());
    }

    @Test
    void appliesTheDefaultsForAGgufModel() throws Exception {
        ModelSpec spec = valid("{\"name\":\"qwen-0.5b\"," + HF_GGUF + "}");
        assertEquals(new ModelSpec("qwen-0.5b",
                new ModelSource("huggingface", "Qwen/Qwen2.5-0.5B-Instruct-GGUF", "*q4_k_m.gguf", null, null, null, null),
                "llama-box", null, List.of(), Map.of(), 1, List.of(), "spread", true, false, Map.of(), List.of(), true),
                spec);
    }

    @Test
    void vllmGetsNoCpuOffloadingAndTheLinuxWorkerSelector() throws Exception {
        ModelSpec spec = valid("{\"name\":\"qwen-7b\",\"source\":{\"type\":\"huggingface\",\"repo_id\":\"Qwen/Qwen2.5-7B\"}}");
        assertEquals("vllm", spec.backend());
        assertFalse(spec.cpuOffloading());
        assertEquals(Map.of("os", "linux"), spec.workerSelector());

        ModelSpec pinned = valid("{\"name\":\"qwen-7b\",\"source\":{\"type\":\"huggingface\",\"repo_id\":\"Qwen/Qwen2.5-7B\"},"
                + "\"gpu_selector\":[\"node-1:cuda:0\"]}");
        assertEquals(Map.of(), pinned.workerSelector(), "manual GPUs already say where it runs");
    }

    @Test
    void keepsWhatTheOperatorSet() throws Exception {
        ModelSpec spec = valid("{\"name\":\"asr\",\"source\":{\"type\":\"local_path\",\"path\":\"/models/faster-whisper-tiny\"},"
                + "\"backend_version\":\"0.0.20\",\"backend_parameters\":[\"--device\",\"cpu\"],\"env\":{\"HF_TOKEN\":\"x\"},"
                + "\"replicas\":0,\"categories\":[\"speech-to-text\"],\"placement_strategy\":\"binpack\","
                + "\"cpu_offloading\":false,\"distributed_inference\":false,\"worker_selector\":{\"gpu\":\"t4\"},"
                + "\"restart_on_error\":false}");
        assertEquals(new ModelSpec("asr", ModelSource.localPath("/models/faster-whisper-tiny"), "vox-box", "0.0.20",
                List.of("--device", "cpu"), Map.of("HF_TOKEN", "x"), 0, List.of("speech-to-text"), "binpack", false, false,
                Map.of("gpu", "t4"), List.of(), false), spec);
    }

    @Test
    void mindieOnlyWhenAskedFor() throws Exception {
        ModelSpec spec = valid("{\"name\":\"q\",\"source\":{\"type\":\"modelscope\",\"model_id\":\"qwen/Qwen2.5-7B\","
                + "\"revision\":\"master\"},\"backend\":\"mindie\",\"distributed_inference\":true}");
        assertEquals("mindie", spec.backend());
        assertTrue(spec.distributedInference());
        assertFalse(spec.cpuOffloading());
    }

    @Test
    void unknownVllmAndLlamaBoxFlagsAreRefusedUnlessTheModelIsOptedIn() throws Exception {
        String body = "{\"name\":\"q\",\"source\":{\"type\":\"huggingface\",\"repo_id\":\"Qwen/Qwen2.5-7B\"},"
                + "\"backend_parameters\":[\"--max-model-length=4096\",\"--gpu-memory-utilization=0.8\"]%s}";
        ModelSpecValidator.Result refused = ModelSpecValidator.validate(JSON.readValue(body.formatted(""),
                ModelSpecRequest.class));
        assertEquals(List.of(new FieldError("backend_parameters[0]", "unknown flag --max-model-length; did you mean "
                + "--max-model-len? (backend vllm); a flag the backend's table does not know needs "
                + "allow_unknown_parameters: true, set by an admin")), refused.errors());

        ModelSpecValidator.Result result = ModelSpecValidator.validate(JSON.readValue(
                body.formatted(",\"allow_unknown_parameters\":true"), ModelSpecRequest.class));
        assertTrue(result.valid(), result::message);
        assertTrue(result.spec().allowUnknownParameters(), "the opt-in is recorded with the model");
        assertEquals(List.of("--max-model-length=4096", "--gpu-memory-utilization=0.8"), result.spec().backendParameters());
        assertEquals(List.of(new FieldError("backend_parameters[0]", "unknown flag --max-model-length; did you mean "
                + "--max-model-len?; passed on as given, in case the backend version knows it (backend vllm)")),
                result.warnings());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "'\"env\":{\"LD_PRELOAD\":\"/tmp/x.so\"}'                   | env.LD_PRELOAD: not allowed: LD_PRELOAD changes what code the backend runs",
            "'\"env\":{\"PYTHONPATH\":\"/tmp\"}'                        | env.PYTHONPATH: not allowed: PYTHONPATH changes what code",
            "'\"env\":{\"PATH\":\"/tmp\"}'                              | env.PATH: not allowed: PATH changes what code",
            "'\"env\":{\"HOME\":\"/tmp\"}'                              | env.HOME: not allowed",
            "'\"env\":{\"LLAMA_ARG_MODEL_URL\":\"http://x\"}'           | env.LLAMA_ARG_MODEL_URL: not allowed",
            "'\"env\":{\"OPENAI_API_KEY\":\"k\"}'                       | env.OPENAI_API_KEY: not allowed: OPENAI_API_KEY is an API key",
            "'\"env\":{\"CUDA_VISIBLE_DEVICES\":\"0\"}'                 | env.CUDA_VISIBLE_DEVICES: not allowed: the agent sets CUDA_VISIBLE_DEVICES",
            "'\"backend_parameters\":[\"-mu\",\"https://x/m.gguf\"]'   | backend_parameters[0]: -mu makes the backend fetch or run code",
            "'\"backend_parameters\":[\"--model_url=https://x/m.gguf\"]' | backend_parameters[0]: --model-url makes the backend fetch",
            "'\"backend_parameters\":[\"-hf\",\"a/b\"]'                | backend_parameters[0]: -hf makes the backend fetch",
            "'\"backend_parameters\":[\"--lora=https://x/a.gguf\"]'     | backend_parameters[0]: --lora with a URL makes the backend fetch",
            "'\"backend_parameters\":[\"--ctx_sizze=512\"]'             | backend_parameters[0]: unknown flag --ctx-sizze; did you mean --ctx-size?",
            "'\"backend_parameters\":[\"--host=0.0.0.0\"]'              | backend_parameters[0]: --host is not allowed",
    })
    void refusalsNameTheVariableOrFlag(String extra, String expected) throws Exception {
        ModelSpecValidator.Result result = ModelSpecValidator.validate(JSON.readValue(
                "{\"name\":\"m\",\"source\":{\"type\":\"local_path\",\"path\":\"/m/x.gguf\"}," + extra + "}",
                ModelSpecRequest.class));
        assertFalse(result.valid());
        assertTrue(result.message().contains(expected), result.message());
    }

    @Test
    void fetchingFlagsAndUnderscoreSpellingsPassWithTheOptIn() throws Exception {
        ModelSpec spec = valid("{\"name\":\"q\",\"source\":{\"type\":\"huggingface\",\"repo_id\":\"a/b\"},"
                + "\"backend\":\"vllm\",\"backend_parameters\":[\"--trust-remote-code\",\"--max_model_len=4096\"],"
                + "\"allow_unknown_parameters\":true}");
        assertTrue(spec.allowUnknownParameters());
        assertTrue(ModelSpecValidator.validate(JSON.readValue("{\"name\":\"q\",\"source\":{\"type\":"
                + "\"huggingface\",\"repo_id\":\"a/b\"},\"backend\":\"vllm\",\"backend_parameters\":"
                + "[\"--max_model_len=4096\"]}", ModelSpecRequest.class)).valid(), "--max_model_len is --max-model-len");
    }

    @Test
    void aLocalPathMustLieUnderAConfiguredRoot() throws Exception {
        LocalRoots roots = LocalRoots.parse("/srv/models");
        String body = "{\"name\":\"m\",\"source\":{\"type\":\"local_path\",\"path\":\"%s\"}}";
        assertTrue(ModelSpecValidator.validate(JSON.readValue(body.formatted("/srv/models/a/x.gguf"),
                ModelSpecRequest.class), roots).valid());
        for (String path : List.of("/etc/shadow.gguf", "/srv/models/../../etc/shadow.gguf", "/srv/models-other/x.gguf")) {
            ModelSpecValidator.Result result = ModelSpecValidator.validate(JSON.readValue(body.formatted(path),
                    ModelSpecRequest.class), roots);
            assertEquals(List.of("source.path"), result.errors().stream().map(FieldError::field).toList(), path);
            assertTrue(result.message().contains("must lie under the local root /srv/models"), result.message());
        }
        assertTrue(ModelSpecValidator.validate(JSON.readValue(body.formatted("/srv/models/x.gguf"),
                ModelSpecRequest.class), LocalRoots.parse("")).message().contains("gpufleet.models.local-roots"));
    }

    @Test
    void aMissingBodyIsAnError() {
        assertEquals(List.of(new FieldError("body", "required: a JSON model spec")),
                ModelSpecValidator.validate(null).errors());
    }

    private static ModelSpec valid(String body) throws Exception {
        ModelSpecValidator.Result result = ModelSpecValidator.validate(JSON.readValue(body, ModelSpecRequest.class));
        assertTrue(result.valid(), () -> result.message());
        return result.spec();
    }

    private static BadBody bad(String body, String... errors) {
        return new BadBody(body, List.of(errors));
    }
}
