package dev.gpufleet.registry.estimate;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.assertEquals;

class BackendSettingsTest {

    private static List<String> split(String parameters) {
        return parameters == null ? List.of() : Arrays.asList(parameters.split(";"));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', nullValues = "none", value = {
            "--ctx-size=4096                  | 4096",
            "-c 2048                          | 2048",
            "-c;1024                          | 1024",
            "--ctx-size=512;-c 256            | 256",   // the last one wins, as in llama.cpp
            "--parallel=2                     | none",
            "-c=abc                           | none",
            "'-c'                             | none",  // no value after it
    })
    void contextSizeIsReadInEveryForm(String parameters, Integer expected) {
        OptionalInt found = BackendSettings.intFlag(split(parameters), "-c", "--ctx-size");
        assertEquals(expected == null ? OptionalInt.empty() : OptionalInt.of(expected), found);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', nullValues = "none", value = {
            "none                                  | 8192 | F16  | 4 | 2048 | 512 | false",
            "-c 4096;-np 1                         | 4096 | F16  | 1 | 2048 | 512 | false",
            "-ctk q8_0;-fa                         | 8192 | Q8_0 | 4 | 2048 | 512 | true",
            "--cache-type-k=q4_0;--flash-attn      | 8192 | Q4_0 | 4 | 2048 | 512 | true",
            "-fa;--no-flash-attn                   | 8192 | F16  | 4 | 2048 | 512 | false",
            "-fa off                               | 8192 | F16  | 4 | 2048 | 512 | false",
            "-b 1024;-ub 256;-ctk bogus            | 8192 | F16  | 4 | 1024 | 256 | false",
    })
    void llamaBoxSettingsComeFromTheFlagsOrTheAgentDefaults(String parameters, int context, KvCacheType cache,
                                                            int parallel, int batch, int ubatch, boolean fa) {
        assertEquals(new LlamaBoxParameters(context, cache, parallel, batch, ubatch, fa),
                BackendSettings.llamaBox(split(parameters)));
    }

    @ParameterizedTest(name = "{0} at model context {1}")
    @CsvSource(delimiter = '|', nullValues = "none", value = {
            "none                                   | 32768 | 8192 | 0.9",
            "none                                   | 4096  | 4096 | 0.9",  // the model allows less than 8192
            "--max-model-len=16384                  | 32768 | 16384 | 0.9",
            "--gpu-memory-utilization 0.5           | 32768 | 8192 | 0.5",
    })
    void vllmSettingsApplyThe8192Rule(String parameters, int modelContext, int maxLen, double utilisation) {
        VllmParameters params = BackendSettings.vllm(split(parameters), modelContext);
        assertEquals(maxLen, params.maxModelLen());
        assertEquals(utilisation, params.gpuMemoryUtilization());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', nullValues = "none", value = {
            "none                                       | 8192 | 200 | 128 | 0 | 0.9",
            "--max-seq-len 4096;--max-batch-size=50     | 4096 | 50  | 128 | 0 | 0.9",
            "--cache-block-size 64;--cpu-mem-size=5;--npu-memory-fraction 0.7 | 8192 | 200 | 64 | 5 | 0.7",
    })
    void mindieSettingsComeFromTheFlagsOrTheSeedDefaults(String parameters, int seq, int batch, int block, int cpu,
                                                         double fraction) {
        assertEquals(new MindieParameters(seq, batch, block, cpu, fraction, 1),
                BackendSettings.mindie(split(parameters)));
    }

    /** The seed's --cpu-mem-size default (0) is the estimator's, the validator's table's and the agent's. */
    @org.junit.jupiter.api.Test
    void mindieCpuMemSizeDefaultIsTheSeedsZeroEverywhere() {
        assertEquals(0, MindieParameters.defaults().cpuMemSizeGiB());
        assertEquals(0, MindieParameters.defaultCpuMemSizeGiB());
    }
}
