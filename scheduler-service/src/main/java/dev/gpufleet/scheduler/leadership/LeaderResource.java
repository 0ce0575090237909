package dev.gpufleet.scheduler.leadership;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import java.time.Duration;
import java.util.List;

/**
 * Which scheduler acts, as PostgreSQL's leader row says (its holder while the lease has not aged past the takeover
 * delay), and what this one is. The role is this process's own view and is answered even when PostgreSQL is not.
 */
@Path("/api/v1/scheduler/leader")
@Produces(MediaType.APPLICATION_JSON)
public class LeaderResource {
    private static final String HOLDER = """
            SELECT holder FROM scheduler.leader
            WHERE id = 1 AND renewed_at >= clock_timestamp() - make_interval(secs => ?1)""";
    /** How long the answer waits for PostgreSQL before it says nothing of the holder. */
    private static final Duration DATABASE_PATIENCE = Duration.ofSeconds(2);

    private final Leadership leadership;

    public LeaderResource(Leadership leadership) {
        this.leadership = leadership;
    }

    /**
     * @param leader the holder of the current lease; null while none holds one (a leader died and none took over
     *               yet) or when PostgreSQL did not answer
     * @param epoch  the epoch this scheduler leads in; null while it follows
     */
    public record LeaderView(String instance, String role, String leader, Long epoch) {
    }

    @GET
    public Uni<LeaderView> get() {
        double takeoverSeconds = leadership.timings().takeoverDelay().toMillis() / 1000.0;
        return Panache.withSession(() -> Panache.getSession().chain(session -> session
                        .createNativeQuery(HOLDER, String.class)
                        .setParameter(1, takeoverSeconds)
                        .getResultList()))
                .map(LeaderResource::holder)
                .ifNoItem().after(DATABASE_PATIENCE).recoverWithItem((String) null)
                .onFailure().recoverWithItem((String) null)
                .map(holder -> {
                    long epoch = leadership.epoch();
                    return new LeaderView(leadership.instanceId(), epoch >= 0 ? "leader" : "follower", holder,
                            epoch >= 0 ? epoch : null);
                });
    }

    private static String holder(List<String> names) {
        return names.isEmpty() ? null : names.get(0);
    }
}
