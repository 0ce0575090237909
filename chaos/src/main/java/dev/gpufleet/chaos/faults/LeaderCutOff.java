package dev.gpufleet.chaos.faults;

import dev.gpufleet.chaos.RowResult;
import dev.gpufleet.chaos.fleet.BackendProcess;
import dev.gpufleet.chaos.fleet.Fleet;
import dev.gpufleet.chaos.fleet.Http;
import dev.gpufleet.chaos.fleet.TcpProxy;
import dev.gpufleet.chaos.load.LoadStats;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The leading scheduler cut off from PostgreSQL while it keeps running (its database link partitioned: packets
 * vanish, nothing is refused). Both schedulers are asked who leads every 200 ms: the cut-off one must say it no
 * longer leads before the other says it does, never both at once, and the other must take over while the cut
 * lasts. A model change made once the other leads must take effect once. Then the link heals and one leads.
 */
public final class LeaderCutOff implements Fault {
    /**
     * Longer than the scheduler's wait for PostgreSQL before it answers with its own view alone (2 s): shorter, a
     * scheduler cut off from its database never gets to say that it stopped leading.
     */
    static final Duration ASK_TIMEOUT = Duration.ofSeconds(5);
    private final Duration cut;

    public LeaderCutOff(Duration cut) {
        this.cut = cut;
    }

    @Override
    public List<String> rows() {
        return List.of("scheduler leader cut off from PostgreSQL, alive");
    }

    @Override
    public List<String> expectations() {
        return List.of("it stops acting before the other starts; never two writers");
    }

    @Override
    public List<RowResult> run(FaultContext c) {
        Fleet fleet = c.fleet();
        RowResult r = new RowResult(rows().get(0), expectations().get(0));
        Fleet.Service leader = fleet.leader().orElseThrow(() -> new IllegalStateException("no leader to cut off"));
        Fleet.Service other = fleet.schedulers().stream().filter(s -> s != leader).findFirst().orElseThrow();
        TcpProxy link = fleet.databaseLink(fleet.schedulers().indexOf(leader));
        List<BackendProcess> before = fleet.backends();
        Set<String> idsBefore = c.instanceIds(Fleet.STAND_IN);
        List<com.fasterxml.jackson.databind.JsonNode> instancesBefore = fleet.instancesOf(Fleet.STAND_IN);
        int replicas = fleet.model(Fleet.STAND_IN).replicas();

        long t0 = FaultContext.now();
        c.log(leader.name() + " cut off from PostgreSQL");
        link.partition();
        Long stoppedAt = null;
        Long otherLedAt = null;
        int bothLed = 0;
        boolean changed = false;
        List<String> timeline = new ArrayList<>();
        String lastRoles = "";
        while (FaultContext.now() < t0 + cut.toMillis()) {
            Map<String, Fleet.RoleAnswer> answers = fleet.rolesAnswered(ASK_TIMEOUT);
            Map<String, String> roles = new java.util.LinkedHashMap<>();
            answers.forEach((name, a) -> roles.put(name, a.role()));
            long at = FaultContext.now() - t0;
            String leaderRole = roles.get(leader.name());
            String otherRole = roles.get(other.name());
            if (!roles.toString().equals(lastRoles)) {
                timeline.add(at + " ms " + roles);
                lastRoles = roles.toString();
            }
            // each when it answered: the cut-off one answers late (it waits for PostgreSQL), and says its role as of then
            if (stoppedAt == null && leaderRole != null && !leaderRole.equals("leader")
                    && !leaderRole.equals("silent")) {
                stoppedAt = answers.get(leader.name()).answeredAt() - t0;
            }
            if (otherLedAt == null && "leader".equals(otherRole)) {
                otherLedAt = answers.get(other.name()).answeredAt() - t0;
            }
            if ("leader".equals(leaderRole) && "leader".equals(otherRole)) {
                bothLed++;
            }
            if (!changed && (otherLedAt != null || FaultContext.now() >= t0 + cut.toMillis() / 2)) {
                changed = true;
                Http.Answer change = fleet.scale(Fleet.STAND_IN, replicas - 1, Duration.ofSeconds(20));
                r.expect(change.status() == 200, "scaling " + Fleet.STAND_IN + " during the cut: " + change.describe());
            }
            FaultContext.sleepUntil(FaultContext.now() + 200);
        }
        link.heal();
        long t1 = FaultContext.now();
        c.log("link healed; roles over the cut: " + String.join(", ", timeline));

        r.expect(otherLedAt != null, other.name() + " did not lead during the " + cut.toSeconds() + " s cut: "
                + String.join(", ", timeline));
        r.expect(bothLed == 0, "both schedulers said they lead in " + bothLed + " polls: "
                + String.join(", ", timeline));
        if (otherLedAt != null) {
            r.expect(stoppedAt != null && stoppedAt <= otherLedAt, leader.name() + " still "
                    + (stoppedAt == null ? "led (or did not answer) during the whole cut" : "led until " + stoppedAt
                    + " ms") + " while " + other.name() + " led from " + otherLedAt + " ms");
            r.note(leader.name() + " stopped leading at " + (stoppedAt == null ? "-" : stoppedAt + " ms") + ", "
                    + other.name() + " led at " + otherLedAt + " ms");
        }
        Optional<Long> settled = c.settle(r, t1, "the link healed");
        if (otherLedAt != null) {
            r.recovery(Duration.ofMillis(otherLedAt));
        }
        long end = settled.orElse(FaultContext.now());
        c.load().awaitAnswers();
        LoadStats stats = c.count(r, c.requests(t0, end, q -> true));
        r.expect(stats.failed() == 0, stats.failed() + " of " + stats.sent() + " requests failed: "
                + stats.describeFailures());
        c.judgeBackends(r, before, c.removedEndpoints(instancesBefore, Fleet.STAND_IN, 1));
        c.judgeChange(r, Fleet.STAND_IN, t0, idsBefore, -1, 0);
        return List.of(r);
    }
}
