package dev.gpufleet.registry.analysis;

import dev.gpufleet.events.ModelAnalysis;
import dev.gpufleet.events.ModelSource;
import dev.gpufleet.events.ModelSpec;
import dev.gpufleet.registry.gguf.GgufAnalyzer;
import dev.gpufleet.registry.gguf.GgufFormatException;
import dev.gpufleet.registry.hub.HubClients;

import java.io.IOException;
import java.nio.file.Path;
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

    /**
     * What a create or update request can know at once: for a local GGUF file, its header and the memory it needs;
     * a file that is missing, unreadable or not valid GGUF fails the analysis, saying why.
     */
    public Analysis analyze(ModelSpec spec) {
        ModelSource source = spec.source();
        LocalFile file = ModelSource.LOCAL_PATH.equals(source.type()) ? files.stat(source.path()) : null;
        Analysis bySize = FileSizeEstimate.of(source, file);
        if (bySize.estimate() == null) {
            return bySize; // not a readable local GGUF file: missing, unreadable, a directory, another format, a hub
        }
        try {
            Path path = Path.of(source.path());
            var mmproj = GgufAnalyzer.chooseMmproj(path, spec.backendParameters());
            ModelArchitecture model = GgufAnalyzer.analyze(path);
            if (mmproj.isPresent()) {
                model = GgufAnalyzer.withMmprojBytes(model, mmproj.get().sizeBytes());
            }
            return GgufEstimate.of(model, spec.backendParameters(), mmproj.map(m -> m.file()).orElse(null));
        } catch (GgufFormatException e) {
            return failed(source.path() + " is not a valid GGUF file: " + e.getMessage());
        } catch (IOException e) {
            return failed("cannot read " + source.path() + ": " + e.getMessage());
        }
    }

    private static Analysis failed(String message) {
        return new Analysis(new ModelAnalysis(ModelAnalysis.State.FAILED, message), null);
    }

    /** One full try, for the background analysis: reads the hub for hub sources. */
    public AnalysisStep step(ModelSpec spec) {
        if (ModelSource.LOCAL_PATH.equals(spec.source().type())) {
            return AnalysisStep.done(analyze(spec));
        }
        return remote.analyze(spec);
    }
}
