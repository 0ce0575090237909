package dev.gpufleet.scheduler.modelfiles;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import dev.gpufleet.events.ModelFileSet;

import java.time.Instant;
import java.util.List;

/**
 * One model file set in the admin API: where it is (worker), what it is (source, repo, files, path, size), its state
 * (DOWNLOADING with progress_bytes of total_bytes, READY, ERROR with message), and who uses it.
 *
 * @param reportedAt when the worker's heartbeat that listed it was heard
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record ModelFileView(String id, String workerId, String workerName, String source, String repo,
                            List<String> files, String path, long sizeBytes, String state, Long progressBytes,
                            Long totalBytes, String message, Instant lastUsedAt, List<String> instances,
                            Instant reportedAt) {

    static ModelFileView of(String workerId, String workerName, Instant reportedAt, ModelFileSet s) {
        return new ModelFileView(s.id(), workerId, workerName, s.source(), s.repo(), s.files(), s.path(),
                s.sizeBytes(), s.state() == null ? null : s.state().name(), s.progressBytes(), s.totalBytes(),
                s.message(), s.lastUsedAt(), s.instances(), reportedAt);
    }
}
