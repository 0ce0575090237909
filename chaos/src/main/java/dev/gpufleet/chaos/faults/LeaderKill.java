package dev.gpufleet.chaos.faults;

import dev.gpufleet.chaos.RowResult;
import dev.gpufleet.chaos.fleet.BackendProcess;
import dev.gpufleet.chaos.fleet.Fleet;
import dev.gpufleet.chaos.fleet.Http;
import dev.gpufleet.chaos.load.LoadStats;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * SIGKILL the leading scheduler: the other must lead within the takeover bound, and a model change made right
 * after must take effect once (nothing lost, nothing doubled). The killed one is started again and follows.
 */
public final class LeaderKill implements Fault {
    private final Duration takeover;

    public LeaderKill(Duration takeover) {
        this.takeover = takeover;
    }

    @Override
    public List<String> rows() {
        return List.of("scheduler leader SIGKILL");
    }

    @Override
    public List<String> expectations() {
        return List.of("the other leads within " + takeover.toSeconds() + " s; no instance lost or doubled");
    }

    @Override
    public List<RowResult> run(FaultContext c) {
        Fleet fleet = c.fleet();
        RowResult r = new RowResult(rows().get(0), expectations().get(0));
        Fleet.Service leader = fleet.leader().orElseThrow(() -> new IllegalStateException("no leader to kill"));
        Fleet.Service other = fleet.schedulers().stream().filter(s -> s != leader).findFirst().orElseThrow();
        List<BackendProcess> before = fleet.backends();
        Set<String> idsBefore = c.instanceIds(Fleet.STAND_IN);
        int replicas = fleet.model(Fleet.STAND_IN).replicas();

        long t0 = FaultContext.now();
        c.log(leader.name() + " killed");
        leader.process().kill();
        String[] last = {""};
        Optional<Duration> led = FaultContext.await(Duration.ofSeconds(60), Duration.ofMillis(100), () -> {
            String role = fleet.roles(Duration.ofSeconds(2)).get(other.name());
            return "leader".equals(role) ? Optional.empty() : Optional.of(other.name() + " " + role);
        }, last);
        if (led.isEmpty()) {
            r.violation(other.name() + " did not lead within 60 s of the kill (" + last[0] + ")");
        } else {
            long ms = FaultContext.now() - t0;
            r.recovery(Duration.ofMillis(ms));
            r.expect(ms <= takeover.toMillis(), other.name() + " led " + ms + " ms after the kill (bound "
                    + takeover.toMillis() + " ms)");
            c.log(other.name() + " leads after " + ms + " ms");
        }
        Http.Answer change = fleet.scale(Fleet.STAND_IN, replicas + 1, Duration.ofSeconds(20));
        r.expect(change.status() == 200, "scaling " + Fleet.STAND_IN + " after the kill: " + change.describe());
        c.log("starting " + leader.name() + " again");
        fleet.startAgain(leader);
        Duration recovery = r.recovery();
        Optional<Long> settled = c.settle(r, t0, "the leader was killed");
        if (recovery != null) {
            r.recovery(recovery);
        }
        long end = settled.orElse(FaultContext.now());
        c.load().awaitAnswers();
        LoadStats stats = c.count(r, c.requests(t0, end, q -> true));
        r.expect(stats.failed() == 0, stats.failed() + " of " + stats.sent() + " requests failed: "
                + stats.describeFailures());
        c.judgeBackends(r, before, List.of());
        c.judgeChange(r, Fleet.STAND_IN, t0, idsBefore, 1, 0);
        return List.of(r);
    }
}
