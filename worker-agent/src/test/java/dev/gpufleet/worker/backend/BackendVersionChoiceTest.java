package dev.gpufleet.worker.backend;

import dev.gpufleet.events.BackendVersion;
import dev.gpufleet.events.LaunchPlan;
import dev.gpufleet.events.ModelSource;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Engine versions on the agent: {@code gpufleet.worker.backend-versions} lists them (the heartbeat reports them);
 * a plan with a {@code backend_version} runs the path the scheduler resolved from a registration, else the path
 * this worker's setting gives, else it cannot start, saying why.
 */
class BackendVersionChoiceTest {

    @Test
    void theSettingListsVersionsWithTheirPaths() {
        assertEquals(List.of(new BackendVersion("vllm", "0.8.5", "/opt/vllm-0.8.5/bin/vllm", BackendVersion.AGENT),
                        new BackendVersion("llama-box", "0.0.140", "/opt/lb/llama-box", BackendVersion.AGENT)),
                ConfiguredBackendVersions.parse(" vllm:0.8.5=/opt/vllm-0.8.5/bin/vllm , llama-box:0.0.140=/opt/lb/llama-box,"));
        assertEquals(List.of(), ConfiguredBackendVersions.parse(""));
        assertEquals(Optional.of("/opt/lb/llama-box"),
                ConfiguredBackendVersions.path("llama-box:0.0.140=/opt/lb/llama-box", "llama-box", "0.0.140"));
        assertEquals(Optional.empty(), ConfiguredBackendVersions.path("oops", "llama-box", "0.0.140"));
    }

    @Test
    void aBadEntryIsNamed() {
        for (String bad : List.of("vllm=0.8.5", "sglang:1=/x", "vllm:0.8.5=bin/vllm", "vllm:=/x")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ConfiguredBackendVersions.parse(bad));
            assertEquals("gpufleet.worker.backend-versions entry '" + bad + "' is not <backend>:<version>=<absolute "
                    + "path> with backend one of llama-box, vllm, vox-box, mindie", e.getMessage());
        }
    }

    private static LaunchPlan plan(String version, String path) {
        return new LaunchPlan("vllm", version, ModelSource.localPath("/models/q"), List.of(), Map.of(),
                List.of("llm"), path);
    }

    private static LaunchPlanner.Host host() {
        return new LaunchPlanner.Host(backend -> switch (backend) {
            case "vllm" -> new BinaryChoice(List.of("/usr/bin/vllm"), null);
            case "vllm@0.8.5" -> new BinaryChoice(List.of("/opt/vllm-0.8.5/bin/vllm"), null);
            default -> new BinaryChoice(List.of(), "no " + backend);
        }, "0.0.0.0", List.of(), p -> true, p -> true, p -> List.of(), p -> Optional.empty(),
                java.util.OptionalInt::empty, null, null, java.nio.file.Path.of("/data"),
                PortRange.parse(RpcServers.DEFAULT_RANGE), id -> Optional.empty(), c -> null, "linux", "amd64",
                RaySettings.LOCAL);
    }

    @Test
    void theAgentRunsTheVersionThePlanNames() {
        assertEquals(List.of("/usr/bin/vllm"), LaunchPlanner.binaryFor("vllm", plan(null, null), host()).command(),
                "no backend_version: the default binary");
        assertEquals(List.of("/opt/vllm-0.8.5/bin/vllm"),
                LaunchPlanner.binaryFor("vllm", plan("0.8.5", null), host()).command(), "this worker's setting");
        assertEquals(List.of("/srv/vllm-0.9/bin/vllm"),
                LaunchPlanner.binaryFor("vllm", plan("0.9.0", "/srv/vllm-0.9/bin/vllm"), host()).command(),
                "the path registered on this worker, resolved by the scheduler");
        assertEquals("no vllm@0.7.0", LaunchPlanner.binaryFor("vllm", plan("0.7.0", null), host()).problem());
    }
}
