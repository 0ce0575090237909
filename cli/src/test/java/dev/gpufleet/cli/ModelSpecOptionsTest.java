package dev.gpufleet.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelSpecOptionsTest {
    private static final Path CWD = Path.of("/work/models");

    @Command
    static final class Holder {
        @Mixin
        ModelSpecOptions options;
    }

    private static String spec(String name, String stdin, String... args) {
        Holder holder = new Holder();
        new CommandLine(holder).parseArgs(args);
        return Json.compact(holder.options.toSpec(name, CWD,
                new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8))));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "--path tiny.gguf | {\"name\":\"m\",\"source\":{\"type\":\"local_path\",\"path\":\"/work/models/tiny.gguf\"}}",
            "--path /abs/../x.gguf --replicas 2 | {\"name\":\"m\",\"source\":{\"type\":\"local_path\",\"path\":\"/x.gguf\"},\"replicas\":2}",
            "--hf Qwen/Q-GGUF --file-name *q4_k_m.gguf --revision main | {\"name\":\"m\",\"source\":{\"type\":\"huggingface\",\"repo_id\":\"Qwen/Q-GGUF\",\"file_name\":\"*q4_k_m.gguf\",\"revision\":\"main\"}}",
            "--modelscope org/m --file-name a.gguf | {\"name\":\"m\",\"source\":{\"type\":\"modelscope\",\"model_id\":\"org/m\",\"file_path\":\"a.gguf\"}}",
            "--path /m --backend vllm --backend-version 0.8.5 --backend-param --max-model-len=4096 --backend-param --enforce-eager | {\"name\":\"m\",\"source\":{\"type\":\"local_path\",\"path\":\"/m\"},\"backend\":\"vllm\",\"backend_version\":\"0.8.5\",\"backend_parameters\":[\"--max-model-len=4096\",\"--enforce-eager\"]}",
            "--path /m --env A=1 --env B=x=y --worker-selector gpu=h100 | {\"name\":\"m\",\"source\":{\"type\":\"local_path\",\"path\":\"/m\"},\"env\":{\"A\":\"1\",\"B\":\"x=y\"},\"worker_selector\":{\"gpu\":\"h100\"}}",
            "--path /m --category embedding --placement binpack --gpu host:cuda:0 --cpu-offloading --distributed-inference --no-restart-on-error | {\"name\":\"m\",\"source\":{\"type\":\"local_path\",\"path\":\"/m\"},\"categories\":[\"embedding\"],\"placement_strategy\":\"binpack\",\"gpu_selector\":[\"host:cuda:0\"],\"cpu_offloading\":true,\"distributed_inference\":true,\"restart_on_error\":false}"})
    void optionsBecomeTheApisModelSpec(String args, String expected) {
        assertEquals(expected, spec("m", "", args.split(" ")));
    }

    @Test
    void aSpecFileGivesTheRestAndOptionsOverrideIt(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("spec.json");
        Files.writeString(file, "{\"name\": \"from-file\", \"source\": {\"type\": \"huggingface\", \"repo_id\": \"a/b\"}, "
                + "\"replicas\": 3}");
        assertEquals("{\"name\":\"from-file\",\"source\":{\"type\":\"huggingface\",\"repo_id\":\"a/b\",\"file_name\":\"x.gguf\"},\"replicas\":1}",
                spec(null, "", "-f", file.toString(), "--replicas", "1", "--file-name", "x.gguf"));
        assertEquals("{\"name\":\"renamed\",\"source\":{\"type\":\"local_path\",\"path\":\"/m\"},\"replicas\":3}",
                spec("renamed", "", "--spec", file.toString(), "--path", "/m"));
        assertEquals("{\"name\":\"stdin\",\"source\":{\"type\":\"local_path\",\"path\":\"/s\"}}",
                spec(null, "{\"name\": \"stdin\", \"source\": {\"type\": \"local_path\", \"path\": \"/s\"}}", "-f", "-"));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "--replicas 1 | the model's source is missing",
            "--path /a --hf b/c | --huggingface, --modelscope and --path name the source",
            "--path /a --file-name x | --file-name: only for --huggingface or --modelscope",
            "--path /a --revision r | --revision: only for",
            "--path /a --env NOVALUE | --env: must be NAME=VALUE, was 'NOVALUE'",
            "--path /a --worker-selector =x | --worker-selector: must be NAME=VALUE",
            "-f /nonexistent/spec.json | --spec: cannot read /nonexistent/spec.json"})
    void wrongCombinationsAreUsageErrorsNamingTheOption(String args, String message) {
        CliException e = assertThrows(CliException.class, () -> spec("m", "", args.split(" ")));
        assertEquals(ExitCodes.USAGE, e.exitCode());
        assertTrue(e.getMessage().startsWith(message), e.getMessage());
    }

    @Test
    void aNameIsNeededFromTheCommandLineOrTheFile() {
        CliException e = assertThrows(CliException.class, () -> spec(null, "", "--path", "/a"));
        assertTrue(e.getMessage().startsWith("the model's name is missing"), e.getMessage());
        CliException notJson = assertThrows(CliException.class, () -> spec(null, "[1]", "-f", "-"));
        assertTrue(notJson.getMessage().startsWith("--spec: - is not a JSON object"), notJson.getMessage());
    }

    @Test
    void aModelsViewGoesBackAsItsSpecWithoutWhatTheRegistryAdded() {
        String view = "{\"id\":\"x\",\"name\":\"m\",\"source\":{\"type\":\"local_path\",\"path\":\"/m\"},"
                + "\"backend\":\"llama-box\",\"backend_version\":null,\"replicas\":2,\"analysis\":{\"state\":\"ANALYZED\"},"
                + "\"estimate\":{},\"revision\":4,\"created_at\":\"t\",\"updated_at\":\"t\",\"warnings\":[\"w\"]}";
        assertEquals("{\"name\":\"m\",\"source\":{\"type\":\"local_path\",\"path\":\"/m\"},\"backend\":\"llama-box\","
                + "\"replicas\":2}", Json.compact(ModelsCommand.specOf(Json.parse(view))));
    }
}
