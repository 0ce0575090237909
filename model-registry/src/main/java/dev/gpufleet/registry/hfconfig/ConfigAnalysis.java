package dev.gpufleet.registry.hfconfig;

import dev.gpufleet.registry.analysis.ModelArchitecture;

/**
 * What a {@code config.json} (with its weight sizes) says about a model. {@code problem} is null when the model is
 * understood; otherwise it says what is wrong or unknown. {@code architecture} may be filled even with a problem
 * (a well-formed config whose architecture has no known category), {@code category} is null then.
 *
 * @param weightSource where {@code architecture.otherBytes()} came from: {@code safetensors index},
 *                     {@code safetensors files}, {@code weight files}, or {@code none}
 */
public record ConfigAnalysis(ModelArchitecture architecture, ModelCategory category, String weightSource,
        String problem) {

    public boolean ok() {
        return problem == null;
    }

    static ConfigAnalysis failed(String problem) {
        return new ConfigAnalysis(null, null, "none", problem);
    }
}
