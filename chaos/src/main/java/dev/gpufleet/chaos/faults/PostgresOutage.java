package dev.gpufleet.chaos.faults;

import dev.gpufleet.chaos.RowResult;
import dev.gpufleet.chaos.fleet.BackendProcess;
import dev.gpufleet.chaos.fleet.Fleet;
import dev.gpufleet.chaos.fleet.Http;
import dev.gpufleet.chaos.load.LoadStats;
import dev.gpufleet.chaos.load.RequestRecord;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The database away: paused (SIGSTOP to the postmaster and every server process: queries hang) for the pause
 * setting and resumed, then stopped for the stop setting (connections refused) and started again. The client load
 * uses a key made (and used) just before, so the gateways know it; during each outage two admin writes are tried,
 * one on the gateway's own data (a new API key) and one passed to model-registry (a model's spec), and each must
 * be refused at once with 503 and Retry-After. Afterwards the usage the gateways counted for that key must be every
 * request that was answered.
 */
public final class PostgresOutage implements Fault {
    private static final Duration ADMIN_PATIENCE = Duration.ofSeconds(20);
    private final Duration pause;
    private final Duration stop;
    private final String row;

    public PostgresOutage(Duration pause, Duration stop) {
        this.pause = pause;
        this.stop = stop;
        this.row = "PostgreSQL paused (SIGSTOP) " + pause.toSeconds() + " s, and stopped " + stop.toSeconds() + " s";
    }

    @Override
    public List<String> rows() {
        return List.of(row);
    }

    @Override
    public List<String> expectations() {
        return List.of("inference keeps serving with known keys; admin writes answer 503 Retry-After; 0 usage rows "
                + "lost");
    }

    @Override
    public List<RowResult> run(FaultContext c) {
        Fleet fleet = c.fleet();
        RowResult r = new RowResult(row, expectations().get(0));
        String keyName = "chaos-postgres-" + System.currentTimeMillis();
        String key = fleet.createApiKey(keyName);
        String keyId = fleet.apiKeyId(keyName).orElseThrow(() -> new IllegalStateException("key " + keyName
                + " not listed"));
        c.load().key(key);
        FaultContext.sleepUntil(FaultContext.now() + 5_000); // both gateways see the key answered, and cache it
        List<BackendProcess> before = fleet.backends();

        long t0 = FaultContext.now();
        c.log("PostgreSQL paused");
        fleet.pausePostgres();
        FaultContext.sleepUntil(t0 + Math.min(10_000, pause.toMillis() / 4));
        List<String> writes = new ArrayList<>();
        adminWrites(c, r, "paused", writes);
        FaultContext.sleepUntil(t0 + pause.toMillis());
        fleet.resumePostgres();
        c.log("PostgreSQL resumed");
        String[] last = {""};
        Optional<Duration> back = FaultContext.await(Duration.ofSeconds(60), Duration.ofMillis(500), () -> {
            Http.Answer a = fleet.tryCreateApiKey("chaos-probe-" + System.nanoTime(), Duration.ofSeconds(5));
            return a.status() == 201 ? Optional.empty() : Optional.of(a.describe());
        }, last);
        r.expect(back.isPresent(), "admin writes did not work again within 60 s of the resume: " + last[0]);

        long t2 = FaultContext.now();
        c.log("PostgreSQL stopping");
        fleet.stopPostgres();
        c.log("PostgreSQL stopped");
        FaultContext.sleepUntil(t2 + Math.min(10_000, stop.toMillis() / 4));
        adminWrites(c, r, "stopped", writes);
        FaultContext.sleepUntil(t2 + stop.toMillis());
        fleet.startPostgres();
        long t3 = FaultContext.now();
        c.log("PostgreSQL started again");

        Optional<Long> settled = c.settle(r, t3, "PostgreSQL started again");
        c.load().key(fleet.apiKey());
        c.load().awaitAnswers();
        long end = settled.orElse(FaultContext.now());
        List<RequestRecord> keyed = c.requests(t0 - 5_000, end + 1, q -> key.equals(q.key()));
        LoadStats stats = c.count(r, keyed);
        r.expect(stats.failed() == 0, stats.failed() + " of " + stats.sent() + " requests with a known key failed: "
                + stats.describeFailures());
        r.note("admin writes: " + String.join("; ", writes));

        List<RequestRecord> allWithKey = c.load().records().stream().filter(q -> key.equals(q.key())).toList();
        long answered = allWithKey.stream().filter(RequestRecord::ok).count();
        long[] counted = {-1};
        FaultContext.await(Duration.ofSeconds(30), Duration.ofSeconds(1), () -> {
            counted[0] = fleet.usageRequests(keyId);
            return counted[0] == answered ? Optional.empty() : Optional.of("counted " + counted[0]);
        }, last);
        int lost = (int) Math.max(0, answered - counted[0]);
        int doubled = (int) Math.max(0, counted[0] - answered);
        r.events(lost, doubled);
        r.expect(counted[0] == answered, "usage counted " + counted[0] + " requests for the key, " + answered
                + " were answered (" + (lost > 0 ? lost + " lost" : doubled + " counted twice") + ")");
        c.judgeBackends(r, before, List.of());
        return List.of(r);
    }

    /** Tries both admin writes; each must be refused within the patience with 503 and Retry-After. */
    private static void adminWrites(FaultContext c, RowResult r, String state, List<String> writes) {
        Fleet fleet = c.fleet();
        Http.Answer key = fleet.tryCreateApiKey("chaos-refused-" + System.nanoTime(), ADMIN_PATIENCE);
        judge(r, "creating an API key while PostgreSQL was " + state, key, writes);
        Fleet.Model m = fleet.model(Fleet.STAND_IN);
        Http.Answer spec = fleet.scale(Fleet.STAND_IN, m.replicas(), ADMIN_PATIENCE);
        judge(r, "changing a model while PostgreSQL was " + state, spec, writes);
    }

    private static void judge(RowResult r, String what, Http.Answer a, List<String> writes) {
        boolean refused = a.status() == 503 && a.header("Retry-After").isPresent();
        writes.add(what + ": " + (a.status() < 0 ? "no answer in " + a.millis() + " ms" : a.status()
                + (a.header("Retry-After").map(v -> " Retry-After " + v).orElse("")) + " in " + a.millis() + " ms"));
        r.expect(refused, what + " answered " + a.describe() + (a.status() == 503 ? " without Retry-After" : "")
                + " (expected 503 with Retry-After)");
    }
}
