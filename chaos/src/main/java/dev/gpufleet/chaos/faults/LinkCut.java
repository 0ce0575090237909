package dev.gpufleet.chaos.faults;

import dev.gpufleet.chaos.RowResult;
import dev.gpufleet.chaos.fleet.BackendProcess;
import dev.gpufleet.chaos.fleet.Fleet;
import dev.gpufleet.chaos.load.LoadStats;
import dev.gpufleet.chaos.load.RequestRecord;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A worker's network link cut (the bridge side of its veth down: its heartbeats and its backends' answers vanish)
 * for less than the unreachable grace, then restored: nothing may be replaced, nothing restarted, and its
 * stand-in backends must serve the load again once the link is back.
 */
public final class LinkCut implements Fault {
    private final Duration cut;
    private final Duration grace;

    public LinkCut(Duration cut, Duration grace) {
        this.cut = cut;
        this.grace = grace;
    }

    @Override
    public boolean needsNamespaces() {
        return true;
    }

    @Override
    public List<String> rows() {
        return List.of("a worker's link cut " + cut.toSeconds() + " s (below the " + grace.toSeconds() + " s grace)");
    }

    @Override
    public List<String> expectations() {
        return List.of("nothing replaced; its instances serve again when the link returns");
    }

    @Override
    public List<RowResult> run(FaultContext c) {
        Fleet fleet = c.fleet();
        RowResult r = new RowResult(rows().get(0), expectations().get(0));
        Fleet.Agent worker = c.standInWorker();
        List<String> itsEndpoints = c.placement(Fleet.STAND_IN).get(worker);
        List<BackendProcess> before = fleet.backends();
        Set<String> idsBefore = new HashSet<>();
        fleet.models().forEach(m -> idsBefore.addAll(c.instanceIds(m.name)));

        long t0 = FaultContext.now();
        c.log(worker.name() + "'s link cut (" + itsEndpoints + ")");
        fleet.network().cut(worker.index());
        FaultContext.sleepUntil(t0 + cut.toMillis());
        fleet.network().restore(worker.index());
        long t1 = FaultContext.now();
        c.log(worker.name() + "'s link restored");

        String[] last = {""};
        Optional<Duration> serving = FaultContext.await(c.settings().recoveryPatience(), Duration.ofMillis(250), () ->
                c.requests(t1, FaultContext.now(), q -> q.ok() && q.servedBy() != null
                        && itsEndpoints.contains(q.servedBy())).isEmpty()
                        ? Optional.of("no answer from " + itsEndpoints + " since the link returned")
                        : Optional.empty(), last);
        r.expect(serving.isPresent(), worker.name() + "'s instances did not serve again within "
                + c.settings().recoveryPatience().toSeconds() + " s: " + last[0]);
        Optional<Long> settled = c.settle(r, t1, "the link returned");
        serving.ifPresent(r::recovery);
        long end = settled.orElse(FaultContext.now());
        c.load().awaitAnswers();
        List<RequestRecord> requests = c.requests(t0, end, q -> true);
        LoadStats stats = c.count(r, requests);
        r.note(stats.failed() + " of " + stats.sent() + " requests failed during the cut and after ("
                + stats.describeFailures() + ")");
        c.judgeBackends(r, before, List.of());
        Set<String> idsNow = new HashSet<>();
        fleet.models().forEach(m -> idsNow.addAll(c.instanceIds(m.name)));
        List<String> replaced = new ArrayList<>(idsBefore);
        replaced.removeAll(idsNow);
        r.expect(replaced.isEmpty() && idsNow.equals(idsBefore), "instances replaced: " + replaced.size()
                + " gone, " + idsNow.stream().filter(i -> !idsBefore.contains(i)).count() + " new");
        return List.of(r);
    }
}
