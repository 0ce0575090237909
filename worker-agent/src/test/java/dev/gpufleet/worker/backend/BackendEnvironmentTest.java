package dev.gpufleet.worker.backend;

import dev.gpufleet.events.GpuDevice;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.params.provider.Arguments.arguments;

class BackendEnvironmentTest {
    private static final long GIB = 1L << 30;

    private static GpuDevice gpu(int index, String vendor) {
        return new GpuDevice(index, vendor, "x", vendor + "-" + index, "uuid-" + index, 24 * GIB, 0, 0.0);
    }

    /** Two NVIDIA GPUs, an Ascend NPU, an AMD GPU and another NVIDIA GPU, in detection order. */
    private static final List<GpuDevice> MIXED = List.of(gpu(0, "nvidia"), gpu(1, "nvidia"), gpu(2, "ascend"),
            gpu(3, "amd"), gpu(4, "nvidia"));

    static Stream<Arguments> visibleDevices() {
        return Stream.of(
                arguments("CPU only: every device hidden", List.of(),
                        Map.of("ASCEND_RT_VISIBLE_DEVICES", "", "CUDA_VISIBLE_DEVICES", "", "HIP_VISIBLE_DEVICES", "")),
                arguments("one NVIDIA GPU", List.of(1),
                        Map.of("ASCEND_RT_VISIBLE_DEVICES", "", "CUDA_VISIBLE_DEVICES", "1", "HIP_VISIBLE_DEVICES", "")),
                arguments("NVIDIA GPUs counted among NVIDIA devices only", List.of(4, 0),
                        Map.of("ASCEND_RT_VISIBLE_DEVICES", "", "CUDA_VISIBLE_DEVICES", "0,2", "HIP_VISIBLE_DEVICES",
                                "")),
                arguments("the NPU is its runtime's device 0", List.of(2),
                        Map.of("ASCEND_RT_VISIBLE_DEVICES", "0", "CUDA_VISIBLE_DEVICES", "", "HIP_VISIBLE_DEVICES", "")),
                arguments("AMD", List.of(3),
                        Map.of("ASCEND_RT_VISIBLE_DEVICES", "", "CUDA_VISIBLE_DEVICES", "", "HIP_VISIBLE_DEVICES",
                                "0")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("visibleDevices")
    void setsTheVisibleDevicesOfTheInstancesGpus(String description, List<Integer> gpus,
                                                Map<String, String> expected) {
        BackendEnvironment environment = BackendEnvironment.of(Map.of(), MIXED, gpus);

        assertNull(environment.problem());
        assertEquals(expected, environment.variables());
        assertEquals(List.of(), environment.warnings());
    }

    @Test
    void theUsersEnvIsMergedAndOverridesOfControlledVariablesAreReportedByNameOnly() {
        BackendEnvironment environment = BackendEnvironment.of(Map.of("HF_TOKEN", "hf_secret",
                "CUDA_VISIBLE_DEVICES", "0,1,2,3", "HIP_VISIBLE_DEVICES", "7", "OMP_NUM_THREADS", "4"), MIXED,
                List.of(1));

        assertEquals(Map.of("HF_TOKEN", "hf_secret", "OMP_NUM_THREADS", "4", "CUDA_VISIBLE_DEVICES", "1",
                "HIP_VISIBLE_DEVICES", "", "ASCEND_RT_VISIBLE_DEVICES", ""), environment.variables());
        assertEquals(List.of(
                "env CUDA_VISIBLE_DEVICES was overridden: the agent sets it from the instance's GPUs",
                "env HIP_VISIBLE_DEVICES was overridden: the agent sets it from the instance's GPUs"),
                environment.warnings());
        assertFalse(String.join(" ", environment.warnings()).contains("0,1,2,3"));
        assertFalse(environment.toString().contains("hf_secret"), "values never printed: " + environment);
    }

    @Test
    void anAppleGpuHasNoVariableAndHidesTheOthers() {
        BackendEnvironment environment = BackendEnvironment.of(Map.of(), List.of(gpu(0, "apple")), List.of(0));

        assertEquals(Map.of("ASCEND_RT_VISIBLE_DEVICES", "", "CUDA_VISIBLE_DEVICES", "", "HIP_VISIBLE_DEVICES", ""),
                environment.variables());
    }

    @Test
    void aGpuThisWorkerDoesNotHaveIsAProblem() {
        assertEquals("GPU 7 is not on this worker (it has GPUs 0, 1, 2, 3, 4)",
                BackendEnvironment.of(Map.of(), MIXED, List.of(0, 7)).problem());
        assertEquals("GPU 0 is not on this worker (it has no GPUs)",
                BackendEnvironment.of(Map.of(), List.of(), List.of(0)).problem());
    }
}
