package dev.gpufleet.events.spec;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SpecRulesTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}: refused {1}, by the agent too {2}")
    @CsvSource(delimiter = '|', value = {
            "LD_PRELOAD              | true  | true",
            "LD_LIBRARY_PATH         | true  | true",
            "ld_preload              | true  | true",
            "DYLD_INSERT_LIBRARIES   | true  | true",
            "PYTHONPATH              | true  | true",
            "PYTHONSTARTUP           | true  | true",
            "PATH                    | true  | true",
            "HOME                    | true  | true",
            "OPENAI_API_KEY          | true  | true",
            "VLLM_API_KEY            | true  | true",
            "LLAMA_ARG_MODEL_URL     | true  | true",
            "JAVA_TOOL_OPTIONS       | true  | true",
            "BASH_ENV                | true  | true",
            "CUDA_VISIBLE_DEVICES    | true  | false",
            "ASCEND_RT_VISIBLE_DEVICES | true | false",
            "HIP_VISIBLE_DEVICES     | true  | false",
            "HF_TOKEN                | false | false",
            "OMP_NUM_THREADS         | false | false",
            "VLLM_USE_V1             | false | false",
            "HF_HUB_OFFLINE          | false | false",
            "PATHS                   | false | false",
            "MY_PYTHON               | false | false",
    })
    void envNamesThatChangeWhatRunsAreRefused(String name, boolean refused, boolean byTheAgent) {
        Optional<String> refusal = EnvRules.refusal(name);
        assertEquals(refused, refusal.isPresent(), refusal.toString());
        refusal.ifPresent(reason -> assertTrue(reason.contains(name), reason));
        assertEquals(byTheAgent, EnvRules.codeChanging(name));
    }

    @Test
    void aPathMustLieUnderARootAfterDotDotAndLinks() throws Exception {
        Path models = Files.createDirectories(dir.resolve("models"));
        Path outside = Files.createDirectories(dir.resolve("private"));
        Files.writeString(models.resolve("a.gguf"), "x");
        Files.writeString(outside.resolve("secret.gguf"), "x");
        Files.createSymbolicLink(models.resolve("escape"), outside);
        Files.createSymbolicLink(models.resolve("b.gguf"), outside.resolve("secret.gguf"));
        LocalRoots roots = LocalRoots.parse(" " + models + " , /srv/other-models");

        assertEquals(Optional.empty(), roots.refusal(models.resolve("a.gguf").toString()));
        assertEquals(Optional.empty(), roots.refusal(models.resolve("sub/not-yet-there.gguf").toString()));
        assertEquals(Optional.empty(), roots.refusal("/srv/other-models/x/model"));
        for (String bad : new String[]{models + "/../private/secret.gguf", models + "/escape/secret.gguf",
                models + "/b.gguf", models + "/escape/missing/deeper.gguf", "/etc/shadow", "/srv/other-models-2/x",
                "/srv/other-models/../x"}) {
            Optional<String> refusal = roots.refusal(bad);
            assertTrue(refusal.isPresent(), bad + " was accepted");
            assertTrue(refusal.get().contains("must lie under one of the local roots"), refusal.get());
        }
        assertTrue(roots.refusal("models/a.gguf").orElseThrow().contains("absolute"));
    }

    @Test
    void noRootsAcceptNoPathAndARelativeRootIsABadSetting() {
        assertTrue(LocalRoots.parse("").refusal("/models/a.gguf").orElseThrow()
                .contains("gpufleet.models.local-roots"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LocalRoots.parse("models"));
        assertEquals("gpufleet.models.local-roots: 'models' must be an absolute directory", e.getMessage());
    }
}
