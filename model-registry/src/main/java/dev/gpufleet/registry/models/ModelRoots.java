package dev.gpufleet.registry.models;

import dev.gpufleet.events.spec.LocalRoots;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.util.Optional;

/** {@code gpufleet.models.local-roots}: where a {@code local_path} model may lie; a bad setting stops the start. */
@ApplicationScoped
public class ModelRoots {
    private final LocalRoots roots;

    public ModelRoots(@ConfigProperty(name = LocalRoots.SETTING) Optional<String> setting) {
        this.roots = LocalRoots.parse(setting.orElse(""));
    }

    public LocalRoots roots() {
        return roots;
    }
}
