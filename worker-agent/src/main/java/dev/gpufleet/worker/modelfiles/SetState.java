package dev.gpufleet.worker.modelfiles;

import dev.gpufleet.events.ModelFileSet;
import dev.gpufleet.worker.download.DownloadTracker;

/** The state a model file set is reported in, from what the downloader says of it and what lies on disk. Pure. */
public final class SetState {
    /** @param progressBytes with totalBytes only while DOWNLOADING; message only for ERROR */
    public record Mapped(ModelFileSet.State state, Long progressBytes, Long totalBytes, String message) {
    }

    private SetState() {
    }

    /**
     * @param progress  the downloader's view of the set's directory, or null when it knows nothing of it
     * @param partFiles how many files under it are still part files
     */
    public static Mapped of(DownloadTracker.Progress progress, int partFiles) {
        if (progress != null && progress.inFlight()) {
            long total = Math.max(0, progress.totalBytes());
            return new Mapped(ModelFileSet.State.DOWNLOADING, Math.min(total, Math.max(0, progress.doneBytes())),
                    total, null);
        }
        if (progress != null && progress.error() != null) {
            return new Mapped(ModelFileSet.State.ERROR, null, null, progress.error());
        }
        if (partFiles > 0) {
            return new Mapped(ModelFileSet.State.ERROR, null, null, "download incomplete: " + partFiles
                    + " part file" + (partFiles == 1 ? "" : "s") + " left; it resumes when an instance needs these "
                    + "files");
        }
        return new Mapped(ModelFileSet.State.READY, null, null, null);
    }
}
