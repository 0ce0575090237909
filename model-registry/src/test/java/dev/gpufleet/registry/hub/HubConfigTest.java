package dev.gpufleet.registry.hub;

import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.smallrye.config.EnvConfigSource;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

class HubConfigTest {
    static HubConfig config(Map<String, String> properties, Map<String, String> env) {
        SmallRyeConfig config = new SmallRyeConfigBuilder()
                .withMapping(HubConfig.class)
                .withSources(new PropertiesConfigSource(properties, "test", 300))
                .withSources(new EnvConfigSource(env, 400))
                .build();
        return config.getConfigMapping(HubConfig.class);
    }

    @Test
    void defaultsAreThePublicHubsWithoutTokens() {
        HubConfig config = config(Map.of(), Map.of());
        assertEquals(URI.create("https://huggingface.co"), config.huggingFaceSettings().endpoint());
        assertEquals(URI.create("https://www.modelscope.cn"), config.modelScopeSettings().endpoint());
        assertEquals(Optional.empty(), config.huggingFaceSettings().token());
        assertEquals(Optional.empty(), config.modelScopeSettings().token());
    }

    @Test
    void endpointsAndTokensComeFromPropertiesOrTheEnvironment() {
        HubConfig config = config(
                Map.of("gpufleet.registry.huggingface.endpoint", "http://mirror.local:8080/",
                        "gpufleet.registry.modelscope.token", "ms-secret-1"),
                Map.of("GPUFLEET_REGISTRY_HUGGINGFACE_TOKEN", "hf-secret-2",
                        "GPUFLEET_REGISTRY_MODELSCOPE_ENDPOINT", "http://ms.local"));
        HubSettings hf = config.huggingFaceSettings();
        assertEquals(URI.create("http://mirror.local:8080"), hf.endpoint());
        assertEquals(Optional.of("hf-secret-2"), hf.token());
        assertEquals(HubConfig.HUGGING_FACE_TOKEN_SETTING, hf.tokenSetting());
        assertEquals(URI.create("http://ms.local"), config.modelScopeSettings().endpoint());
        assertEquals(Optional.of("ms-secret-1"), config.modelScopeSettings().token());
        assertFalse(hf.toString().contains("hf-secret-2"), hf.toString());
        assertFalse(config.modelScopeSettings().toString().contains("ms-secret-1"));
    }

    @Test
    void aBlankTokenIsNoToken() {
        HubConfig config = config(Map.of("gpufleet.registry.huggingface.token", " "), Map.of());
        assertEquals(Optional.empty(), config.huggingFaceSettings().token());
    }
}
