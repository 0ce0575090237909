package dev.gpufleet.worker.backend;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gpufleet.events.GpuDevice;
import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.LaunchPlan;
import dev.gpufleet.events.ModelSource;
import dev.gpufleet.events.ResourceClaim;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The seed's MindIE rule: {@code --rope-scaling}, {@code --rope-theta} and {@code --dtype} are merged into the
 * model's {@code config.json}, {@code --override-generation-config} into its {@code generation_config.json}, on a
 * copy of the model directory (the user's files untouched).
 */
class MindieModelOverridesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CONFIG = "{\"architectures\":[\"Qwen2ForCausalLM\"],\"rope_theta\":10000.5,"
            + "\"torch_dtype\":\"bfloat16\",\"max_position_embeddings\":32768}";
    private static final String GENERATION = "{\"temperature\":0.7,\"top_p\":0.8}";

    private static JsonNode json(String text) throws Exception {
        return JSON.readTree(text);
    }

    @Test
    void ropeScalingRopeThetaAndDtypeAreMergedIntoConfigJson() throws Exception {
        MindieModelOverrides.Result r = MindieModelOverrides.apply(List.of(
                "--rope-scaling={\"type\":\"yarn\",\"factor\":4.0,\"original_max_position_embeddings\":32768}",
                "--rope-theta", "1000000", "--dtype=half"), CONFIG, GENERATION);
        assertNull(r.problem());
        assertEquals(Set.of("config.json"), r.files().keySet(), "generation_config.json is left as it is");
        JsonNode config = json(r.files().get("config.json"));
        assertEquals("yarn", config.get("rope_scaling").get("type").asText());
        assertEquals(4.0, config.get("rope_scaling").get("factor").asDouble());
        assertEquals(1000000L, config.get("rope_theta").longValue());
        assertTrue(config.get("rope_theta").isIntegralNumber());
        assertEquals("float16", config.get("torch_dtype").asText());
        assertEquals("Qwen2ForCausalLM", config.get("architectures").get(0).asText(), "the rest is kept");
    }

    @Test
    void dtypeNamesMapToTorchDtypesAndAutoKeepsTheModels() throws Exception {
        for (Map.Entry<String, String> e : Map.of("float16", "float16", "bfloat16", "bfloat16", "float", "float32",
                "float32", "float32").entrySet()) {
            MindieModelOverrides.Result r = MindieModelOverrides.apply(List.of("--dtype", e.getKey()), CONFIG, null);
            assertEquals(e.getValue(), json(r.files().get("config.json")).get("torch_dtype").asText(), e.getKey());
        }
        assertFalse(MindieModelOverrides.requested(List.of("--dtype", "auto")));
        assertTrue(MindieModelOverrides.apply(List.of("--dtype", "auto"), CONFIG, GENERATION).files().isEmpty());
    }

    @Test
    void overrideGenerationConfigIsMergedKeyByKeyOrCreated() throws Exception {
        MindieModelOverrides.Result r = MindieModelOverrides.apply(
                List.of("--override-generation-config", "{\"temperature\":0.5,\"top_k\":20}"), CONFIG, GENERATION);
        assertEquals(Set.of("generation_config.json"), r.files().keySet());
        JsonNode merged = json(r.files().get("generation_config.json"));
        assertEquals(0.5, merged.get("temperature").asDouble());
        assertEquals(20, merged.get("top_k").asInt());
        assertEquals(0.8, merged.get("top_p").asDouble(), "keys the override does not name are kept");
        JsonNode created = json(MindieModelOverrides.apply(List.of("--override-generation-config={\"top_k\":5}"),
                CONFIG, null).files().get("generation_config.json"));
        assertEquals(5, created.get("top_k").asInt());
    }

    @Test
    void saysWhyTheFilesCannotBeChanged() {
        assertEquals("--rope-scaling, --rope-theta and --dtype change the model's config.json, and the model "
                + "directory has none", MindieModelOverrides.apply(List.of("--rope-theta", "5"), null, null).problem());
        assertEquals("--rope-scaling must be a JSON object",
                MindieModelOverrides.apply(List.of("--rope-scaling", "[1]"), CONFIG, null).problem());
        assertTrue(MindieModelOverrides.apply(List.of("--override-generation-config", "{temperature"), CONFIG, null)
                .problem().startsWith("--override-generation-config is not JSON: "));
        assertEquals("--rope-theta must be a number above 0, was 'x'",
                MindieModelOverrides.apply(List.of("--rope-theta", "x"), CONFIG, null).problem());
    }

    @Test
    void theLaunchPointsMindieAtACopyOfTheModelWithTheChangedFiles() throws Exception {
        GpuDevice npu = new GpuDevice(0, "ascend", "npu", "Ascend 910B3", "0000:C1:00.0-chip0", 64L << 30, 0, 0.0,
                null);
        LaunchPlanner.Host host = new LaunchPlanner.Host(
                backend -> new BinaryChoice(List.of("/usr/bin/mindieservice_daemon"), null), "0.0.0.0", List.of(npu),
                path -> false, Path.of("/models/qwen")::equals, path -> List.of(),
                path -> path.equals(Path.of("/models/qwen/config.json")) ? Optional.of(CONFIG) : Optional.empty(),
                () -> OptionalInt.of(40001), null, null, Path.of("/data"), PortRange.parse(RpcServers.DEFAULT_RANGE),
                id -> Optional.empty(), command -> "2.0.RC2", "linux", "arm64", RaySettings.LOCAL);
        InstanceChanged instance = new InstanceChanged("i-1", "demo-1a2b", "m-1", "demo", "w-1", "node-1",
                List.of(0), List.of(), new ResourceClaim(1L << 30, Map.of(0, 58L << 30)), InstanceState.SCHEDULED,
                null, null, 0, new LaunchPlan("mindie", null, ModelSource.localPath("/models/qwen"),
                List.of("--rope-theta", "1000000"), Map.of(), List.of("llm")), null, null, Map.of());

        BackendLaunch launch = LaunchPlanner.plan(instance, host);

        assertNull(launch.problem());
        assertEquals(Map.of("/data/instances/i-1/model", "/models/qwen"), launch.overlays());
        assertEquals(1000000L, json(launch.files().get("/data/instances/i-1/model/config.json"))
                .get("rope_theta").longValue());
        JsonNode service = json(launch.files().get("/data/instances/i-1/mindie-config.json"));
        assertEquals("/data/instances/i-1/model", service.get("BackendConfig").get("ModelDeployConfig")
                .get("ModelConfig").get(0).get("modelWeightPath").asText());
    }

    @Test
    void theCopyLinksTheWeightsAndLeavesTheUsersFilesAlone(@TempDir Path tmp) throws Exception {
        Path model = Files.createDirectories(tmp.resolve("qwen"));
        Files.writeString(model.resolve("config.json"), CONFIG);
        Files.writeString(model.resolve("model.safetensors"), "weights");
        Path overlay = tmp.resolve("instances/i-1/model");

        ModelOverlay.link(model, overlay, Set.of("config.json"));
        Files.writeString(overlay.resolve("config.json"), "{\"rope_theta\":1}");
        ModelOverlay.link(model, overlay, Set.of("config.json")); // a restart rebuilds it

        assertTrue(Files.isSymbolicLink(overlay.resolve("model.safetensors")));
        assertEquals("weights", Files.readString(overlay.resolve("model.safetensors")));
        assertFalse(Files.exists(overlay.resolve("config.json")), "the launch writes the changed file");
        assertEquals(CONFIG, Files.readString(model.resolve("config.json")));
        assertEquals("weights", Files.readString(model.resolve("model.safetensors")));
    }
}
