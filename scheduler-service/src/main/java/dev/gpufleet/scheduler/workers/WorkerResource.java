package dev.gpufleet.scheduler.workers;

import dev.gpufleet.kit.http.ApiException;
import dev.gpufleet.scheduler.http.PageRequest;
import dev.gpufleet.scheduler.http.PageView;
import io.quarkus.hibernate.reactive.panache.PanacheQuery;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.quarkus.panache.common.Sort;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

@Path("/api/v1/workers")
@Produces(MediaType.APPLICATION_JSON)
public class WorkerResource {

    @GET
    @WithSession
    public Uni<PageView<WorkerView>> list(@QueryParam("page") String page, @QueryParam("per_page") String perPage) {
        PageRequest request = PageRequest.parse(page, perPage);
        PanacheQuery<Worker> query = Worker.findAll(Sort.by("name").and("id"));
        return query.page(request.index(), request.perPage()).list()
                .chain(workers -> query.count().map(total ->
                        PageView.of(workers.stream().map(WorkerView::of).toList(), request, total)));
    }

    @GET
    @Path("/{id}")
    @WithSession
    public Uni<WorkerView> get(@PathParam("id") String id) {
        return Worker.<Worker>findById(id).map(worker -> {
            if (worker == null) {
                throw ApiException.notFound("worker '" + id + "' not found");
            }
            return WorkerView.of(worker);
        });
    }
}
