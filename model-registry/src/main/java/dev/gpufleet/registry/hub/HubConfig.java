package dev.gpufleet.registry.hub;

import io.smallrye.config.ConfigMapping;

import java.util.Optional;

/**
 * Hub endpoints and tokens ({@code GPUFLEET_REGISTRY_HUGGINGFACE_TOKEN} etc. in the environment). Tokens are
 * secrets: only {@link HubSettings} carries them, and it never prints them.
 */
@ConfigMapping(prefix = "gpufleet.registry")
public interface HubConfig {
    String HUGGING_FACE_TOKEN_SETTING = "gpufleet.registry.huggingface.token";
    String MODEL_SCOPE_TOKEN_SETTING = "gpufleet.registry.modelscope.token";

    Hub huggingface();

    Hub modelscope();

    /** Not a hub: the scheduler model evaluations ask; here because this mapping owns the prefix. */
    @io.smallrye.config.WithDefault("http://127.0.0.1:8082")
    java.net.URI schedulerUrl();

    interface Hub {
        Optional<String> endpoint();

        Optional<String> token();
    }

    default HubSettings huggingFaceSettings() {
        return HubSettings.of(huggingface().endpoint().orElse(HuggingFaceClient.DEFAULT_ENDPOINT),
                huggingface().token(), HUGGING_FACE_TOKEN_SETTING);
    }

    default HubSettings modelScopeSettings() {
        return HubSettings.of(modelscope().endpoint().orElse(ModelScopeClient.DEFAULT_ENDPOINT),
                modelscope().token(), MODEL_SCOPE_TOKEN_SETTING);
    }
}
