package dev.gpufleet.worker.download;

import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.LaunchPlan;
import dev.gpufleet.events.ModelSource;
import dev.gpufleet.events.Projectors;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.DoubleConsumer;

/**
 * What the supervisor asks before starting a backend: get the model's files onto this worker. Cancelling the
 * returned future says this instance no longer waits; a file nobody waits for stops transferring (its part file
 * stays for the next try).
 */
public interface ModelFiles {
    String HUGGINGFACE = ModelSource.HUGGINGFACE;
    String MODELSCOPE = ModelSource.MODELSCOPE;
    /** A file still arriving is {@code <name>.part} beside where it will be. */
    String PART_SUFFIX = ".part";

    /** For agents and tests that serve local files only: nothing is ever downloaded. */
    ModelFiles LOCAL_ONLY = new ModelFiles() {
        @Override
        public boolean needsDownload(ModelSource source) {
            return false;
        }

        @Override
        public CompletableFuture<Prepared> prepare(String instance, ModelSource source, DoubleConsumer progress) {
            return CompletableFuture.failedFuture(new IllegalStateException("downloads are off"));
        }
    };

    /**
     * @param model  the file (first part of a split model) or, for a whole repository, its directory
     * @param mmproj the multimodal projector beside a GGUF model, or null
     */
    record Prepared(Path model, Path mmproj) {
    }

    default boolean needsDownload(ModelSource source) {
        return source != null && (HUGGINGFACE.equals(source.type()) || MODELSCOPE.equals(source.type()));
    }

    /**
     * @param progress called with 0..1 (throttled) while the files arrive; on a thread of the downloader
     * @return completes with the local paths, or exceptionally with a {@link DownloadException} saying why
     */
    CompletableFuture<Prepared> prepare(String instance, ModelSource source, DoubleConsumer progress);

    /**
     * @param userProjector the spec's {@code --mmproj}, or null: a relative path is a file of the source to download
     *                      as the projector (see {@link dev.gpufleet.events.Projectors})
     */
    default CompletableFuture<Prepared> prepare(String instance, ModelSource source, String userProjector,
                                                DoubleConsumer progress) {
        return prepare(instance, source, progress);
    }

    /** The instance as it is started once its files are here: a local_path source, plus the projector for llama-box. */
    static InstanceChanged withLocalFiles(InstanceChanged instance, Prepared prepared) {
        LaunchPlan plan = instance.launchPlan();
        List<String> parameters = new ArrayList<>(plan.backendParameters());
        String user = Projectors.userProjector(parameters);
        if (prepared.mmproj() != null && (user == null || Projectors.relative(user))) {
            // the default projector, or the user's path in the source, now downloaded: its path on this worker
            parameters = new ArrayList<>(Projectors.withProjector(parameters, prepared.mmproj().toString()));
        }
        LaunchPlan local = new LaunchPlan(plan.backend(), plan.backendVersion(),
                ModelSource.localPath(prepared.model().toString()), parameters, plan.env(), plan.categories(),
                plan.backendPath());
        return instance.withLaunchPlan(local);
    }
}
