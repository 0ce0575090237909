package dev.gpufleet.chaos.faults;

import dev.gpufleet.chaos.ChaosSettings;
import dev.gpufleet.chaos.RowResult;
import dev.gpufleet.chaos.fleet.BackendProcess;
import dev.gpufleet.chaos.fleet.Fleet;
import dev.gpufleet.chaos.load.LoadStats;
import dev.gpufleet.chaos.load.RequestRecord;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The stand-in model's load multiplied by the overload factor for the overload setting: well past what its
 * backends serve (slots / service time per instance). The gateways' memory must stay bounded, what they cannot
 * admit must be shed at once with 503 and Retry-After, the requests they admit must keep their latency, and full
 * service must return right after.
 */
public final class Overload implements Fault {
    /** Admitted requests may take this many times the median before the overload. */
    static final int LATENCY_FACTOR = 3;
    /** A gateway's resident memory may grow by this much under the overload. */
    static final long MEMORY_BOUND_BYTES = 256L << 20;
    static final Duration AFTER = Duration.ofSeconds(10);
    private final ChaosSettings settings;

    public Overload(ChaosSettings settings) {
        this.settings = settings;
    }

    @Override
    public List<String> rows() {
        return List.of(settings.overloadFactor() + "× the served load for " + settings.overload().toSeconds() + " s");
    }

    @Override
    public List<String> expectations() {
        return List.of("memory bounded, shed requests get 503, admitted ones keep their latency, full service right "
                + "after");
    }

    @Override
    public List<RowResult> run(FaultContext c) {
        Fleet fleet = c.fleet();
        RowResult r = new RowResult(rows().get(0), expectations().get(0));
        List<BackendProcess> before = fleet.backends();
        long t0 = FaultContext.now();
        LoadStats baseline = LoadStats.of(c.requests(t0 - 20_000, t0, q -> q.model().equals(Fleet.STAND_IN)));
        long[] rssBefore = fleet.gateways().stream().mapToLong(g -> rss(g.process().pid())).toArray();
        long[] rssPeak = rssBefore.clone();
        double steady = c.load().rate(Fleet.STAND_IN);
        double capacity = settings.standInCapacityPerInstance() * fleet.model(Fleet.STAND_IN).replicas();
        c.log(String.format(java.util.Locale.ROOT, "%s at %.0f req/s (capacity %.0f req/s)", Fleet.STAND_IN,
                steady * settings.overloadFactor(), capacity));
        c.load().rate(Fleet.STAND_IN, steady * settings.overloadFactor());
        while (FaultContext.now() < t0 + settings.overload().toMillis()) {
            for (int g = 0; g < rssPeak.length; g++) {
                rssPeak[g] = Math.max(rssPeak[g], rss(fleet.gateways().get(g).process().pid()));
            }
            FaultContext.sleepUntil(FaultContext.now() + 1_000);
        }
        c.load().rate(Fleet.STAND_IN, steady);
        long t1 = FaultContext.now();
        c.log("back to " + steady + " req/s");
        FaultContext.sleepUntil(t1 + 2_000 + AFTER.toMillis());
        c.load().awaitAnswers();

        List<RequestRecord> during = c.requests(t0, t1, q -> q.model().equals(Fleet.STAND_IN));
        LoadStats over = c.count(r, during);
        List<RequestRecord> shed = during.stream().filter(q -> !q.ok()).toList();
        List<RequestRecord> badlyShed = shed.stream().filter(q -> q.status() != 503 || !q.retryAfter()).toList();
        r.expect(!shed.isEmpty(), "nothing was shed: " + over.sent() + " requests in " + settings.overload().toSeconds()
                + " s did not exceed what the backends serve, so this row proves nothing");
        r.expect(badlyShed.isEmpty(), badlyShed.size() + " of " + shed.size() + " refused requests were not a 503 with "
                + "Retry-After: " + LoadStats.of(badlyShed).describeFailures());
        long bound = Math.max(LATENCY_FACTOR * baseline.p50Millis(), baseline.p50Millis() + 100);
        r.expect(over.p50Millis() >= 0 && over.p50Millis() <= bound, "admitted requests took " + over.p50Millis()
                + " ms (median; p90 " + over.p90Millis() + " ms) against " + baseline.p50Millis() + " ms before (bound "
                + bound + " ms)");
        r.note(String.format(java.util.Locale.ROOT, "%d sent, %d admitted (median %d ms, p90 %d ms; before: %d ms), "
                        + "%d shed", over.sent(), over.sent() - shed.size(), over.p50Millis(), over.p90Millis(),
                baseline.p50Millis(), shed.size()));
        for (int g = 0; g < rssPeak.length; g++) {
            Fleet.Service gateway = fleet.gateways().get(g);
            r.expect(gateway.process().isAlive(), gateway.name() + " died under the overload");
            r.expect(rssPeak[g] - rssBefore[g] <= MEMORY_BOUND_BYTES, gateway.name() + "'s memory grew by "
                    + ((rssPeak[g] - rssBefore[g]) >> 20) + " MB (bound " + (MEMORY_BOUND_BYTES >> 20) + " MB)");
            r.note(gateway.name() + " resident memory " + (rssBefore[g] >> 20) + " MB → peak " + (rssPeak[g] >> 20)
                    + " MB");
        }
        List<RequestRecord> after = c.requests(t1 + 2_000, t1 + 2_000 + AFTER.toMillis(), q -> true);
        LoadStats afterStats = LoadStats.of(after);
        r.expect(afterStats.failed() == 0, "after the overload " + afterStats.failed() + " of " + afterStats.sent()
                + " requests failed: " + afterStats.describeFailures());
        // the backlog: when the last request sent during the overload had its answer
        long drained = during.stream().mapToLong(q -> q.startMillis() + q.latencyMillis()).max().orElse(t1);
        r.recovery(Duration.ofMillis(Math.max(0, drained - t1)));
        LoadStats demo = LoadStats.of(c.requests(t0, t1, q -> q.model().equals(Fleet.DEMO)));
        r.note("demo model meanwhile: " + demo.failed() + " of " + demo.sent() + " failed, median "
                + demo.p50Millis() + " ms");
        c.judgeBackends(r, before, List.of());
        return List.of(r);
    }

    /** Resident memory of the process in bytes (0 when it is gone). */
    static long rss(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // gone
        }
        return 0;
    }
}
