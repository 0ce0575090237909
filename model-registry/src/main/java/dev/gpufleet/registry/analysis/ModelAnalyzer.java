package dev.gpufleet.registry.analysis;

import dev.gpufleet.events.ModelSource;
import dev.gpufleet.events.ModelSpec;
import dev.gpufleet.registry.hub.HubClients;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Analyses a model's source. A request analyses only what it can settle at once, a local file
 * ({@link #analyze}); hub sources stay PENDING and the background analysis ({@link #step}) reads the hub.
 * Blocking: run off the event loop.
 */
@ApplicationScoped
public class ModelAnalyzer {
    private final LocalFiles files;
    private final RemoteAnalysis remote;

    public ModelAnalyzer(LocalFiles files, HubClients hubs) {
        this.files = files;
        this.remote = new RemoteAnalysis(hubs);
    }

    /** What a create or update request can know at once. */
    public Analysis analyze(ModelSpec spec) {
        ModelSource source = spec.source();
        LocalFile file = ModelSource.LOCAL_PATH.equals(source.type()) ? files.stat(source.path()) : null;
        return FileSizeEstimate.of(source, file);
    }

    /** One full try, for the background analysis: reads the hub for hub sources. */
    public AnalysisStep step(ModelSpec spec) {
        if (ModelSource.LOCAL_PATH.equals(spec.source().type())) {
            return AnalysisStep.done(analyze(spec));
        }
        return remote.analyze(spec.source());
    }
}
