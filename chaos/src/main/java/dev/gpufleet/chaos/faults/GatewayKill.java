package dev.gpufleet.chaos.faults;

import dev.gpufleet.chaos.RowResult;
import dev.gpufleet.chaos.fleet.BackendProcess;
import dev.gpufleet.chaos.fleet.Fleet;
import dev.gpufleet.chaos.fleet.Http;
import dev.gpufleet.chaos.load.ClientLoad;
import dev.gpufleet.chaos.load.LoadStats;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * SIGKILL one of the two gateways under a load whose clients retry on the other gateway, keep it away for a while,
 * and start it again: no request may be lost, also once the load balancer sends to it again (as soon as its
 * readiness says so).
 */
public final class GatewayKill implements Fault {
    static final Duration AWAY = Duration.ofSeconds(10);
    /** Longer than the load balancer's probe period, so the restarted gateway is back in rotation for a while. */
    static final Duration AFTER = Duration.ofSeconds(7);

    @Override
    public List<String> rows() {
        return List.of("one of the two gateways SIGKILL");
    }

    @Override
    public List<String> expectations() {
        return List.of("clients that retry on the other lose nothing");
    }

    @Override
    public List<RowResult> run(FaultContext c) {
        Fleet fleet = c.fleet();
        RowResult r = new RowResult(rows().get(0), expectations().get(0));
        Fleet.Service gateway = fleet.gateways().get(0);
        List<BackendProcess> before = fleet.backends();
        c.load().mode(ClientLoad.Mode.RETRY_ON_OTHER_GATEWAY);
        FaultContext.sleepUntil(FaultContext.now() + 2_000);

        long t0 = FaultContext.now();
        c.log(gateway.name() + " killed");
        gateway.process().kill();
        FaultContext.sleepUntil(t0 + AWAY.toMillis());
        long t1 = FaultContext.now();
        fleet.restart(gateway);
        c.log(gateway.name() + " ready again after " + (FaultContext.now() - t1) + " ms");
        String[] last = {""};
        Optional<Duration> serving = FaultContext.await(Duration.ofSeconds(60), Duration.ofMillis(250), () -> {
            for (Fleet.Model m : fleet.models()) {
                Http.Answer a = fleet.chat(gateway, m.name);
                if (a.status() != 200) {
                    return Optional.of(m.name + ": " + a.describe());
                }
            }
            return Optional.empty();
        }, last);
        r.expect(serving.isPresent(), gateway.name() + " did not serve every model within 60 s of its restart: "
                + last[0]);
        r.recovery(Duration.ofMillis(FaultContext.now() - t1));
        // the load balancer's next probe takes it back (if it had left); the load then runs through both for a while
        FaultContext.sleepUntil(FaultContext.now() + AFTER.toMillis());
        long end = FaultContext.now();
        c.load().mode(ClientLoad.Mode.PLAIN);
        c.load().awaitAnswers();
        LoadStats stats = c.count(r, c.requests(t0, end, q -> true));
        r.expect(stats.failed() == 0, stats.failed() + " of " + stats.sent() + " requests failed although retried on "
                + "the other gateway: " + stats.describeFailures());
        long retried = c.requests(t0, end, q -> q.retried()).size();
        r.note(retried + " requests were retried on the other gateway");
        c.judgeBackends(r, before, List.of());
        return List.of(r);
    }
}
