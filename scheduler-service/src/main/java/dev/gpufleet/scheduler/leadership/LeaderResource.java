package dev.gpufleet.scheduler.leadership;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import java.util.List;

/** Which scheduler acts, as PostgreSQL sees it (the session holding the leadership lock), and what this one is. */
@Path("/api/v1/scheduler/leader")
@Produces(MediaType.APPLICATION_JSON)
public class LeaderResource {
    private static final String HOLDER = """
            SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted AND l.classid = %d AND l.objid = 0 AND l.objsubid = 2"""
            .formatted(Leadership.LOCK_SPACE);

    private final Leadership leadership;

    public LeaderResource(Leadership leadership) {
        this.leadership = leadership;
    }

    /** {@code leader} is null while no scheduler holds the lock (one died and no other took over yet). */
    public record LeaderView(String instance, String role, String leader) {
    }

    @GET
    public Uni<LeaderView> get() {
        return Panache.withSession(() -> Panache.getSession().chain(session -> session
                        .createNativeQuery(HOLDER, String.class).getResultList()))
                .map(LeaderResource::holder)
                .map(holder -> new LeaderView(leadership.instanceId(), leadership.isLeader() ? "leader" : "follower",
                        holder));
    }

    private static String holder(List<String> names) {
        if (names.isEmpty() || names.get(0) == null) {
            return null;
        }
        String name = names.get(0);
        return name.startsWith(Leadership.APPLICATION_NAME_PREFIX)
                ? name.substring(Leadership.APPLICATION_NAME_PREFIX.length()) : name;
    }
}
