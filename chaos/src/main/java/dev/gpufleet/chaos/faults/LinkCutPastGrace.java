package dev.gpufleet.chaos.faults;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gpufleet.chaos.RowResult;
import dev.gpufleet.chaos.fleet.BackendProcess;
import dev.gpufleet.chaos.fleet.Fleet;
import dev.gpufleet.chaos.load.LoadStats;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A worker's link cut for longer than the unreachable grace: its instances must run on other workers while
 * it is away; when it returns, the backends it kept running must be stopped and each model must settle to exactly
 * its replicas.
 */
public final class LinkCutPastGrace implements Fault {
    private final Duration cut;
    private final Duration grace;

    public LinkCutPastGrace(Duration cut, Duration grace) {
        this.cut = cut;
        this.grace = grace;
    }

    @Override
    public boolean needsNamespaces() {
        return true;
    }

    /** Whether every model has its replicas RUNNING on other workers than this one. */
    private static boolean runElsewhere(FaultContext c, Fleet.Agent worker) {
        for (Fleet.Model m : c.fleet().models()) {
            List<JsonNode> running = c.running(m.name);
            long away = running.stream().filter(i -> c.fleet().agentAt(i.path("endpoint").asText())
                    .map(a -> a != worker).orElse(false)).count();
            if (away < m.replicas()) {
                return false;
            }
        }
        return true;
    }

    @Override
    public List<String> rows() {
        return List.of("a worker's link cut " + cut.toSeconds() + " s (past the " + grace.toSeconds() + " s grace)");
    }

    @Override
    public List<String> expectations() {
        return List.of("its instances run elsewhere; when it returns its old backends are stopped; replicas settle "
                + "to the spec");
    }

    @Override
    public List<RowResult> run(FaultContext c) {
        Fleet fleet = c.fleet();
        RowResult r = new RowResult(rows().get(0), expectations().get(0));
        Fleet.Agent worker = c.standInWorker();
        List<String> itsEndpoints = new java.util.ArrayList<>();
        for (Fleet.Model m : fleet.models()) {
            itsEndpoints.addAll(c.placement(m.name).getOrDefault(worker, List.of()));
        }
        int itsStandIns = c.placement(Fleet.STAND_IN).getOrDefault(worker, List.of()).size();
        List<BackendProcess> before = fleet.backends();
        List<BackendProcess> itsBackends = before.stream().filter(b -> itsEndpoints.contains(b.endpoint())).toList();
        Set<String> idsBefore = c.instanceIds(Fleet.STAND_IN);
        int replicas = fleet.model(Fleet.STAND_IN).replicas();

        long t0 = FaultContext.now();
        c.log(worker.name() + "'s link cut (" + itsEndpoints + ")");
        fleet.network().cut(worker.index());
        Long elsewhereAt = null;
        while (FaultContext.now() < t0 + cut.toMillis()) {
            if (elsewhereAt == null && runElsewhere(c, worker)) {
                elsewhereAt = FaultContext.now() - t0;
                c.log("every model runs its replicas elsewhere after " + elsewhereAt + " ms");
            }
            FaultContext.sleepUntil(FaultContext.now() + 500);
        }
        fleet.network().restore(worker.index());
        long t1 = FaultContext.now();
        c.log(worker.name() + "'s link restored");

        r.expect(elsewhereAt != null, "its " + itsEndpoints.size() + " instance(s) did not run elsewhere "
                + "during the " + cut.toSeconds() + " s cut: " + fleet.describe());
        Optional<Long> settled = c.settle(r, t1, "the worker returned");
        if (elsewhereAt != null) {
            r.recovery(Duration.ofMillis(elsewhereAt));
        }
        List<BackendProcess> after = fleet.backends();
        List<BackendProcess> kept = itsBackends.stream()
                .filter(b -> after.stream().anyMatch(a -> a.identity().equals(b.identity()))).toList();
        r.expect(kept.isEmpty(), "its old backends still run after it returned: " + BackendDiff.describe(kept));
        long end = settled.orElse(FaultContext.now());
        c.load().awaitAnswers();
        LoadStats stats = c.count(r, c.requests(t0, end, q -> true));
        r.note(stats.failed() + " of " + stats.sent() + " requests failed (" + stats.describeFailures() + ")");
        c.judgeBackends(r, before, itsEndpoints);
        Set<String> idsNow = c.instanceIds(Fleet.STAND_IN);
        r.expect(idsNow.size() == replicas, Fleet.STAND_IN + " has " + idsNow.size() + " instances, " + replicas
                + " asked for");
        c.judgeChange(r, Fleet.STAND_IN, t0, idsBefore, 0, itsStandIns);
        return List.of(r);
    }
}
