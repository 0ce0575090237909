package dev.gpufleet.registry.analysis;

import dev.gpufleet.events.ModelSource;
import dev.gpufleet.events.ModelSpec;
import jakarta.enterprise.context.ApplicationScoped;

/** Analyses a model's source with what this host can see; blocking for a local path. */
@ApplicationScoped
public class ModelAnalyzer {
    private final LocalFiles files;

    public ModelAnalyzer(LocalFiles files) {
        this.files = files;
    }

    public Analysis analyze(ModelSpec spec) {
        ModelSource source = spec.source();
        LocalFile file = ModelSource.LOCAL_PATH.equals(source.type()) ? files.stat(source.path()) : null;
        return FileSizeEstimate.of(source, file);
    }
}
