package dev.gpufleet.registry.hub;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/** The configured hub clients, for the registry's analysis to use. */
@ApplicationScoped
public class HubClients {
    private final HuggingFaceClient huggingFace;
    private final ModelScopeClient modelScope;

    @Inject
    public HubClients(HubConfig config) {
        this(new HuggingFaceClient(config.huggingFaceSettings()), new ModelScopeClient(config.modelScopeSettings()));
    }

    public HubClients(HuggingFaceClient huggingFace, ModelScopeClient modelScope) {
        this.huggingFace = huggingFace;
        this.modelScope = modelScope;
    }

    public HuggingFaceClient huggingFace() {
        return huggingFace;
    }

    public ModelScopeClient modelScope() {
        return modelScope;
    }
}
