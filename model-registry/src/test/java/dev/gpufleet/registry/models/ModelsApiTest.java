package dev.gpufleet.registry.models;

import dev.gpufleet.localstack.testing.WithTestKafkaAndPostgres;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static dev.gpufleet.localstack.testing.TestClusterToken.TOKEN;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@QuarkusTest
@WithTestKafkaAndPostgres
class ModelsApiTest {
    static final String MODELS = "/api/v1/models";

    static RequestSpecification api() {
        return given().auth().oauth2(TOKEN).contentType(ContentType.JSON);
    }

    static String ggufModel(String name) {
        return "{\"name\":\"" + name + "\",\"source\":{\"type\":\"huggingface\","
                + "\"repo_id\":\"Qwen/Qwen2.5-0.5B-Instruct-GGUF\",\"file_name\":\"*q4_k_m.gguf\"}}";
    }

    static String create(String name) {
        return api().body(ggufModel(name)).post(MODELS).then().statusCode(201).extract().path("id");
    }

    static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    @Test
    void createReadReplaceDelete() {
        String name = unique("qwen");
        Response created = api().body("{\"name\":\"" + name + "\",\"source\":{\"type\":\"huggingface\","
                        + "\"repo_id\":\"Qwen/Qwen2.5-0.5B-Instruct-GGUF\",\"file_name\":\"*q4_k_m.gguf\"},"
                        + "\"env\":{\"HF_TOKEN\":\"hf_secret\"},\"backend_parameters\":[\"--ctx-size=4096\"]}")
                .post(MODELS);
        created.then().statusCode(201)
                .header("Location", endsWith(MODELS + "/" + created.path("id")))
                .body("name", equalTo(name))
                .body("source.type", equalTo("huggingface"))
                .body("source.repo_id", equalTo("Qwen/Qwen2.5-0.5B-Instruct-GGUF"))
                .body("source.file_name", equalTo("*q4_k_m.gguf"))
                .body("source", not(org.hamcrest.Matchers.hasKey("path")))
                .body("backend", equalTo("llama-box"))
                .body("backend_parameters", equalTo(List.of("--ctx-size=4096")))
                .body("env.HF_TOKEN", equalTo("hf_secret"))
                .body("replicas", equalTo(1))
                .body("placement_strategy", equalTo("spread"))
                .body("cpu_offloading", equalTo(true))
                .body("distributed_inference", equalTo(false))
                .body("restart_on_error", equalTo(true))
                .body("analysis.state", equalTo("PENDING"))
                .body("revision", equalTo(1))
                .body("created_at", notNullValue())
                .body("updated_at", equalTo(created.path("created_at")));
        String id = created.path("id");

        api().get(MODELS + "/" + id).then().statusCode(200)
                .body("id", equalTo(id))
                .body("name", equalTo(name))
                .body("created_at", equalTo(created.path("created_at")))
                .body("revision", equalTo(1));

        String renamed = unique("qwen-renamed");
        api().body("{\"name\":\"" + renamed + "\",\"source\":{\"type\":\"huggingface\",\"repo_id\":\"Qwen/Qwen2.5-7B\"},"
                        + "\"replicas\":3}")
                .put(MODELS + "/" + id).then().statusCode(200)
                .body("id", equalTo(id))
                .body("name", equalTo(renamed))
                .body("backend", equalTo("vllm"))
                .body("worker_selector.os", equalTo("linux"))
                .body("cpu_offloading", equalTo(false))
                .body("env", equalTo(java.util.Map.of())) // full replacement: what was not sent is gone
                .body("replicas", equalTo(3))
                .body("revision", equalTo(2))
                .body("created_at", equalTo(created.path("created_at")));
        api().get(MODELS + "/" + id).then().statusCode(200).body("name", equalTo(renamed)).body("revision", equalTo(2));

        api().delete(MODELS + "/" + id).then().statusCode(204);
        api().get(MODELS + "/" + id).then().statusCode(404).body("code", equalTo(404))
                .body("message", containsString(id));
        api().delete(MODELS + "/" + id).then().statusCode(404);
        api().body(ggufModel(name)).put(MODELS + "/" + id).then().statusCode(404);
        // the name is free again once the model is gone
        create(name);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            {"source":{"type":"huggingface","repo_id":"a/b","file_name":"x.gguf"}}           | name: required
            {"name":"-x","source":{"type":"huggingface","repo_id":"a/b","file_name":"x.gguf"}} | name: must be 1 to 63 characters
            {"name":"m"}                                                                       | source: required
            {"name":"m","source":{"type":"ftp"}}                                               | source.type: must be one of huggingface, modelscope, local_path, was 'ftp'
            {"name":"m","source":{"type":"huggingface"}}                                       | source.repo_id: required
            {"name":"m","source":{"type":"modelscope"}}                                        | source.model_id: required
            {"name":"m","source":{"type":"local_path"}}                                        | source.path: required
            {"name":"m","source":{"type":"local_path","path":"/m/x.gguf"},"replicas":-1}       | replicas: must be between 0 and 1000, was -1
            {"name":"m","source":{"type":"local_path","path":"/m/x.gguf"},"backend":"tgi"}     | backend: must be one of llama-box, vllm, vox-box, mindie, was 'tgi'
            {"name":"m","source":{"type":"local_path","path":"/m/x.gguf"},"placement_strategy":"random"} | placement_strategy: must be one of spread, binpack, was 'random'
            {"name":"m","source":{"type":"local_path","path":"/m/x.gguf"},"gpu_selector":["gpu0"]} | gpu_selector[0]: must be '<worker name>:<device type>:<gpu index>'
            {"name":"m","source":{"type":"local_path","path":"/m/x.gguf"},"categories":["chat"]} | categories[0]: must be one of llm
            {"name":"m","source":{"type":"local_path","path":"/m/x.gguf"},"replica":2}         | replica: unknown field
            {"name":"m","source":{"type":"local_path","path":"/m/x.gguf","repo":"x"}}          | source.repo: unknown field
            {"name":"m","source":{"type":"local_path","path":"/m/x.gguf"},"replicas":"many"}   | field 'replicas'
            {"name":"m","source":{"type":"local_path","path":"/m/x.gguf"},"env":["A=1"]}      | field 'env'
            {"name":"m","source":"/m/x.gguf"}                                                  | field 'source'
            {"name":"m","source":{"type":"local_path","path":"/m/x.gguf"},"backend_parameters":["--port","8080"]} | backend_parameters[0]: --port is not allowed
            {"name":"m","source":{"type":"local_path","path":"/m/x.gguf"},"backend_parameters":["-ngl=-2"]}   | backend_parameters[0]: -ngl must be an integer in [0, 999], was '-2' (backend llama-box)
            {"name":"m","source":{"type":"local_path","path":"/m/q"},"backend":"mindie","backend_parameters":["--max-link-num=0","-tp 3"]} | backend_parameters[0]: --max-link-num must be an integer in [1, 1000], was '0' (backend mindie); backend_parameters[1]: -tp must be an integer in (0, inf), a power of two, or -1, was '3'
            {"name":"m","source":{"type":"local_path","path":"/m/q"},"backend":"mindie","backend_parameters":["--enable-prefix-caching","--rope-scaling={}"]} | backend_parameters[1]: --rope-scaling cannot be used together with --enable-prefix-caching
            {"name":"m","source":{"type":"local_path","path":"/m/faster-whisper-tiny"},"backend_parameters":["--devcie=cpu"]} | backend_parameters[0]: unknown flag --devcie; did you mean --device?
            {"name":"m","source":{"type":"local_path","path":"/m/q"},"worker_selector":{"os":"windows"}} | worker_selector.os: backend vllm runs only on Linux workers
            {"name":"m","source":{"type":"local_path","path":"/m/x.gguf"},"env":{"LD_PRELOAD":"/tmp/x.so"}} | env.LD_PRELOAD: not allowed: LD_PRELOAD changes what code the backend runs
            {"name":"m","source":{"type":"local_path","path":"/m/x.gguf"},"env":{"PYTHONPATH":"/tmp"}} | env.PYTHONPATH: not allowed
            {"name":"m","source":{"type":"local_path","path":"/m/x.gguf"},"backend_parameters":["--model-url=https://example.com/x.gguf"]} | backend_parameters[0]: --model-url makes the backend fetch or run code from outside the model's source: allowed only for a model an admin registers with allow_unknown_parameters: true
            {"name":"m","source":{"type":"local_path","path":"/etc/shadow"}}                   | source.path: must lie under one of the local roots
            {"name":"m","source":{"type":"local_path","path":"/m/../etc/shadow"}}              | source.path: must lie under one of the local roots
            {"name":"m","source":{"type":"local_path","path":"/m/q"},"backend":"mindie","categories":["embedding"]} | categories[0]: backend mindie serves language and multimodal language models only, not 'embedding'
            {"name":"m","source":{"type":"local_path","path":"/m/q"},"allow_overcommit":true} | allow_overcommit: only with a gpu_selector
            {"name":"m",                                                                       | Request body is not valid
            """)
    void rejectsABadSpecNamingTheField(String body, String expected) {
        api().body(body).post(MODELS).then().statusCode(400)
                .body("code", equalTo(400))
                .body("reason", equalTo("Bad Request"))
                .body("message", containsString(expected));
    }

    @Test
    void anEmptyBodyIsABadRequest() {
        api().body("").post(MODELS).then().statusCode(400).body("code", equalTo(400));
        api().body("[]").post(MODELS).then().statusCode(400).body("code", equalTo(400));
    }

    @Test
    void replaceValidatesToo() {
        String id = create(unique("to-replace"));
        api().body("{\"name\":\"m\",\"source\":{\"type\":\"huggingface\",\"repo_id\":\"a/b\"},\"replicas\":1001}")
                .put(MODELS + "/" + id).then().statusCode(400)
                .body("message", containsString("replicas: must be between 0 and 1000, was 1001"));
        api().get(MODELS + "/" + id).then().body("revision", equalTo(1));
    }

    @Test
    void namesAreUnique() {
        String name = unique("dup");
        create(name);
        api().body(ggufModel(name)).post(MODELS).then().statusCode(409)
                .body("code", equalTo(409))
                .body("reason", equalTo("Conflict"))
                .body("message", containsString("'" + name + "' already exists"));

        String other = create(unique("other"));
        api().body(ggufModel(name)).put(MODELS + "/" + other).then().statusCode(409)
                .body("message", containsString("'" + name + "' already exists"));
        api().get(MODELS + "/" + other).then().body("revision", equalTo(1));
    }

    @Test
    void aRaceForOneNameStillEndsIn409() throws Exception {
        String name = unique("race");
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Callable<Integer>> attempts = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                attempts.add(() -> api().body(ggufModel(name)).post(MODELS).statusCode());
            }
            List<Integer> statuses = new ArrayList<>();
            for (Future<Integer> f : pool.invokeAll(attempts)) {
                statuses.add(f.get());
            }
            assertEquals(1, statuses.stream().filter(s -> s == 201).count(), statuses::toString);
            assertEquals(7, statuses.stream().filter(s -> s == 409).count(), statuses::toString);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void unknownIdsAre404() {
        api().get(MODELS + "/" + UUID.randomUUID()).then().statusCode(404).body("code", equalTo(404));
        api().get(MODELS + "/not-a-uuid").then().statusCode(404).body("message", containsString("not-a-uuid"));
        api().delete(MODELS + "/" + UUID.randomUUID()).then().statusCode(404);
    }

    @Test
    void aFlagOurTablesDoNotKnowIsAcceptedWithAWarningInTheAnswerWhenTheModelIsOptedIn() {
        String name = unique("warned");
        String body = """
                {"name": "%s", "source": {"type": "huggingface", "repo_id": "Qwen/Qwen2.5-0.5B-Instruct"},
                 "backend": "vllm", "backend_parameters": ["--max-model-length=4096"]%s}""";
        api().body(body.formatted(name, "")).post(MODELS).then().statusCode(400)
                .body("message", containsString("backend_parameters[0]: unknown flag --max-model-length"))
                .body("message", containsString("allow_unknown_parameters"));
        body = body.formatted(name, ", \"allow_unknown_parameters\": true");
        String id = api().body(body).post(MODELS).then().statusCode(201)
                .body("warnings", org.hamcrest.Matchers.contains(
                        containsString("backend_parameters[0]: unknown flag --max-model-length; did you mean "
                                + "--max-model-len?")))
                .body("allow_unknown_parameters", equalTo(true))
                .extract().path("id");
        api().body(body).put(MODELS + "/" + id).then().statusCode(200).body("warnings.size()", equalTo(1));
        // only the answer to the write carries them; a clean spec has none
        api().get(MODELS + "/" + id).then().statusCode(200).body("$", not(org.hamcrest.Matchers.hasKey("warnings")));
    }

    @Test
    void searchFindsModelsByAPartOfTheirNameIgnoringCaseAndWildcards() {
        String prefix = unique("srch");
        create(prefix + "-Alpha");
        create(prefix + "-beta");
        create(prefix + "-al_x");

        api().queryParam("search", prefix.toUpperCase() + "-AL").get(MODELS).then().statusCode(200)
                .body("items.name", org.hamcrest.Matchers.contains(prefix + "-Alpha", prefix + "-al_x"))
                .body("pagination.total", equalTo(2));
        // '_' and '%' are literal, not LIKE wildcards
        api().queryParam("search", prefix + "-al_").get(MODELS).then().statusCode(200)
                .body("items.name", org.hamcrest.Matchers.contains(prefix + "-al_x"));
        api().queryParam("search", prefix + "%").get(MODELS).then().statusCode(200)
                .body("items.size()", equalTo(0));
    }

    @Test
    void listsPageByPageOrderedByName() {
        String prefix = unique("page");
        List<String> mine = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            mine.add(prefix + "-" + i);
            create(prefix + "-" + i);
        }
        Response first = api().queryParam("page", 1).queryParam("per_page", 2).get(MODELS);
        first.then().statusCode(200)
                .body("items.size()", equalTo(2))
                .body("pagination.page", equalTo(1))
                .body("pagination.per_page", equalTo(2));
        int total = first.path("pagination.total");
        int totalPages = first.path("pagination.total_pages");
        assertTrue(total >= 5);
        assertEquals((total + 1) / 2, totalPages);

        List<String> names = new ArrayList<>();
        for (int page = 1; page <= totalPages; page++) {
            Response r = api().queryParam("page", page).queryParam("per_page", 2).get(MODELS);
            r.then().statusCode(200).body("pagination.total", equalTo(total));
            names.addAll(r.path("items.name"));
        }
        assertEquals(total, names.size(), "every model exactly once across the pages");
        assertEquals(names.stream().sorted().toList(), names, "ordered by name");
        assertEquals(mine, names.stream().filter(n -> n.startsWith(prefix)).toList());

        api().queryParam("page", totalPages + 1).queryParam("per_page", 2).get(MODELS).then().statusCode(200)
                .body("items.size()", equalTo(0)).body("pagination.total", equalTo(total));
        api().get(MODELS).then().statusCode(200)
                .body("pagination.page", equalTo(1)).body("pagination.per_page", equalTo(100));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            page=0         | query parameter 'page' must be an integer from 1 to 1000000, was '0'
            page=x         | query parameter 'page' must be an integer from 1 to 1000000, was 'x'
            page=1000001   | query parameter 'page' must be an integer from 1 to 1000000, was '1000001'
            per_page=0     | query parameter 'per_page' must be an integer from 1 to 500, was '0'
            per_page=501   | query parameter 'per_page' must be an integer from 1 to 500, was '501'
            """)
    void rejectsBadPaging(String query, String expected) {
        api().get(MODELS + "?" + query).then().statusCode(400).body("message", equalTo(expected));
    }

    @Test
    void needsTheClusterToken() {
        given().contentType(ContentType.JSON).body(ggufModel(unique("anon"))).post(MODELS).then().statusCode(401);
        given().get(MODELS).then().statusCode(401).body("code", equalTo(401)).body("message", not(nullValue()));
    }
}
