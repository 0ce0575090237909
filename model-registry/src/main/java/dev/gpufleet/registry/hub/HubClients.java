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
        this.huggingFace = new HuggingFaceClient(config.huggingFaceSettings());
        this.modelScope = new ModelScopeClient(config.modelScopeSettings());
    }

    public HuggingFaceClient huggingFace() {
        return huggingFace;
    }

    public ModelScopeClient modelScope() {
        return modelScope;
    }
}
