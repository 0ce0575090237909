package dev.gpufleet.worker.api;

import dev.gpufleet.kit.http.ApiException;
import dev.gpufleet.worker.instances.LogSource;
import dev.gpufleet.worker.instances.Supervision;
import io.smallrye.mutiny.Multi;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import java.io.IOException;
import java.nio.file.NoSuchFileException;

/**
 * The backends' logs on this worker ({@code <data-dir>/logs}); the cluster token guards it (service-kit
 * ClusterTokenFilter). {@code tail} = how many of the last lines (default 100, at most 10000); {@code follow=true}
 * keeps the response open and streams what the backend writes until its process ends or the client leaves.
 */
@Path("/api/v1/logs")
public class LogsResource {
    private final Supervision supervision;
    private final LogFollowers followers;

    public LogsResource(Supervision supervision, LogFollowers followers) {
        this.supervision = supervision;
        this.followers = followers;
    }

    @GET
    @Path("/{instance}")
    @Produces(MediaType.TEXT_PLAIN)
    public Multi<String> logs(@PathParam("instance") String instance, @QueryParam("tail") String tail,
                              @QueryParam("follow") String follow) {
        int lines;
        try {
            lines = LogLines.parseTail(tail);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
        boolean following = parseFollow(follow);
        LogSource source = supervision.supervisor().logSource(instance).orElseThrow(() -> ApiException.notFound(
                "No instance '" + instance + "' on this worker: give an instance id or name the scheduler placed "
                        + "here."));
        LogLines.Tail last;
        try {
            last = LogLines.last(source.file(), lines);
        } catch (NoSuchFileException e) {
            throw ApiException.notFound("Instance " + source.name() + " has no log on this worker yet: its backend "
                    + "has not been started here.");
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + source.file() + ": " + e.getMessage(), e);
        }
        if (!following) {
            return Multi.createFrom().item(last.text());
        }
        return followers.follow(source, last);
    }

    static boolean parseFollow(String value) {
        if (value == null || value.isEmpty() || value.equals("false")) {
            return false;
        }
        if (value.equals("true")) {
            return true;
        }
        throw ApiException.badRequest("follow must be true or false, got '" + value + "'");
    }

}
