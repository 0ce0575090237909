package dev.gpufleet.worker.modelfiles;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import dev.gpufleet.events.ModelDirectory;
import dev.gpufleet.events.ModelFileSet;
import dev.gpufleet.kit.http.ApiException;
import dev.gpufleet.worker.instances.Supervision;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import java.time.Instant;
import java.util.List;

/**
 * The model file sets on this worker, and deleting one; the scheduler's {@code /api/v1/model-files} asks this when an
 * admin deletes. The cluster token guards it (service-kit ClusterTokenFilter).
 */
@Path("/api/v1/model-files")
@Produces(MediaType.APPLICATION_JSON)
public class ModelFilesResource {
    private final Supervision supervision;

    public ModelFilesResource(Supervision supervision) {
        this.supervision = supervision;
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record SetView(String id, String source, String repo, List<String> files, String path, long sizeBytes,
                          String state, Long progressBytes, Long totalBytes, String message, Instant lastUsedAt,
                          List<String> instances) {
        static SetView of(ModelFileSet s) {
            return new SetView(s.id(), s.source(), s.repo(), s.files(), s.path(), s.sizeBytes(), s.state().name(),
                    s.progressBytes(), s.totalBytes(), s.message(), s.lastUsedAt(), s.instances());
        }
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record DirectoryView(String path, long usedBytes, long freeBytes, long totalBytes) {
        static DirectoryView of(ModelDirectory d) {
            return d == null ? null : new DirectoryView(d.path(), d.usedBytes(), d.freeBytes(), d.totalBytes());
        }
    }

    public record Listing(List<SetView> items, DirectoryView directory) {
    }

    @GET
    public Listing list() {
        ModelFileSets.Report report = supervision.modelFiles();
        return new Listing(report.sets().stream().map(SetView::of).toList(), DirectoryView.of(report.directory()));
    }

    /** 204 when deleted; 404 unknown here; 409 while an instance uses it, while downloading, or a local path. */
    @DELETE
    @Path("/{id}")
    public void delete(@PathParam("id") String id) {
        ModelFileSets.Deletion deletion = supervision.deleteModelFiles(id);
        switch (deletion.outcome()) {
            case DELETED -> {
            }
            case NOT_FOUND -> throw ApiException.notFound(deletion.message());
            case IN_USE, DOWNLOADING, NOT_DOWNLOADED -> throw ApiException.conflict(deletion.message());
        }
    }
}
