package dev.gpufleet.worker.download;

import java.nio.file.Path;
import java.time.Duration;

/**
 * @param modelsDir      files land in {@code <modelsDir>/<hub>/<repo>/<path>}, partial ones as {@code <path>.part}
 * @param parallelFiles  how many files are transferred at once, across all instances
 * @param diskMargin     bytes that must stay free after every download has finished
 * @param stallTimeout   a transfer that receives no byte for this long is dropped and resumed
 * @param attempts       how often one file is tried (resuming each time) before the download fails
 * @param retryDelay     the wait before the second attempt, doubled for each further one
 * @param progressEvery  the least time between two progress reports of one instance
 */
public record DownloadSettings(Path modelsDir, Hub huggingFace, Hub modelScope, int parallelFiles, long diskMargin,
                               Duration connectTimeout, Duration stallTimeout, int attempts, Duration retryDelay,
                               Duration progressEvery) {
    public DownloadSettings {
        if (parallelFiles < 1) {
            throw new IllegalArgumentException("gpufleet.worker.download.parallel-files must be at least 1, got "
                    + parallelFiles);
        }
        if (attempts < 1) {
            throw new IllegalArgumentException("gpufleet.worker.download.attempts must be at least 1, got " + attempts);
        }
        if (diskMargin < 0) {
            throw new IllegalArgumentException("gpufleet.worker.download.disk-margin must not be negative");
        }
    }
}
