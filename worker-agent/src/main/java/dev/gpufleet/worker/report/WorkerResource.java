package dev.gpufleet.worker.report;

import dev.gpufleet.kit.http.ApiException;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/** This agent's current report; the cluster token guards it (service-kit ClusterTokenFilter). */
@Path("/api/v1/worker")
@Produces(MediaType.APPLICATION_JSON)
public class WorkerResource {
    private final Heartbeat heartbeat;

    public WorkerResource(Heartbeat heartbeat) {
        this.heartbeat = heartbeat;
    }

    @GET
    public WorkerView current() {
        return heartbeat.latest().map(WorkerView::of).orElseThrow(() ->
                new ApiException(Response.Status.SERVICE_UNAVAILABLE, "No report yet: the first heartbeat is "
                        + "being assembled; try again in a moment."));
    }
}
