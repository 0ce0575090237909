package dev.gpufleet.chaos.faults;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gpufleet.chaos.RowResult;
import dev.gpufleet.chaos.fleet.BackendProcess;
import dev.gpufleet.chaos.fleet.Fleet;
import dev.gpufleet.chaos.fleet.Http;
import dev.gpufleet.chaos.fleet.Signals;
import dev.gpufleet.chaos.load.LoadStats;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The broker away: paused (SIGSTOP, a hung broker: connections stay open, nothing answers) for the pause setting
 * and resumed, with one more stand-in replica asked for meanwhile and one stand-in backend crashed meanwhile (its
 * ERROR cannot reach the scheduler until the broker returns: the repair must come from the heartbeats); then
 * stopped (TERM) for the stop setting and started again, with one replica fewer asked for meanwhile.
 */
public final class KafkaOutage implements Fault {
    private final String pauseRow;
    private final String stopRow;
    private final String crashRow = "a backend crash while Kafka is paused";
    private final Duration pause;
    private final Duration stop;

    public KafkaOutage(Duration pause, Duration stop) {
        this.pause = pause;
        this.stop = stop;
        this.pauseRow = "Kafka broker paused (SIGSTOP) " + pause.toSeconds() + " s, then resumed";
        this.stopRow = "Kafka broker stopped " + stop.toSeconds() + " s, then restarted";
    }

    @Override
    public List<String> rows() {
        return List.of(pauseRow, crashRow, stopRow);
    }

    @Override
    public List<String> expectations() {
        String e = "0 backends stopped or restarted; requests to running models keep succeeding; model changes "
                + "made meanwhile all take effect after, none doubled";
        return List.of(e, "repaired from heartbeats after the broker returns", e);
    }

    @Override
    public List<RowResult> run(FaultContext c) {
        List<RowResult> rows = new ArrayList<>();
        RowResult paused = new RowResult(pauseRow, expectations().get(0));
        RowResult crash = new RowResult(crashRow, expectations().get(1));
        paused(c, paused, crash);
        rows.add(paused);
        rows.add(crash);
        RowResult stopped = new RowResult(stopRow, expectations().get(2));
        c.settle(stopped, FaultContext.now(), "the pause");
        if (stopped.violations().isEmpty()) {
            stopped(c, stopped);
        }
        rows.add(stopped);
        return rows;
    }

    private void paused(FaultContext c, RowResult row, RowResult crash) {
        Fleet fleet = c.fleet();
        List<BackendProcess> before = fleet.backends();
        Set<String> idsBefore = c.instanceIds(Fleet.STAND_IN);
        int replicas = fleet.model(Fleet.STAND_IN).replicas();
        JsonNode victimInstance = c.running(Fleet.STAND_IN).get(0);
        String victimEndpoint = victimInstance.path("endpoint").asText();
        Optional<BackendProcess> victim = c.backendAt(victimEndpoint);

        long t0 = FaultContext.now();
        c.log("Kafka paused");
        fleet.kafka().pause();
        FaultContext.sleepUntil(t0 + Math.min(10_000, pause.toMillis() / 4));
        Http.Answer change = fleet.scale(Fleet.STAND_IN, replicas + 1, Duration.ofSeconds(20));
        row.expect(change.status() == 200, "scaling " + Fleet.STAND_IN + " while Kafka was paused: "
                + change.describe());
        FaultContext.sleepUntil(t0 + Math.min(20_000, pause.toMillis() / 2));
        long crashedAt = FaultContext.now();
        victim.ifPresent(v -> Signals.send("KILL", v.pid()));
        c.log("backend at " + victimEndpoint + " killed");
        FaultContext.sleepUntil(t0 + pause.toMillis());
        fleet.kafka().resume();
        long t1 = FaultContext.now();
        c.log("Kafka resumed");

        String victimId = victimInstance.path("id").asText();
        String[] last = {""};
        Optional<Duration> repaired = FaultContext.await(c.settings().recoveryPatience(), Duration.ofMillis(250),
                () -> runningAgain(c, victimId, victim.orElse(null)), last);
        Optional<Long> settled = c.settle(row, t1, "Kafka resumed");
        long end = settled.orElse(FaultContext.now());
        c.load().awaitAnswers();
        LoadStats stats = c.count(row, c.requests(t0, end, r -> true));
        row.expect(stats.failed() == 0, stats.failed() + " of " + stats.sent() + " requests failed: "
                + stats.describeFailures());
        c.judgeBackends(row, before, victim.map(v -> List.of(v.endpoint())).orElse(List.of()));
        c.judgeChange(row, Fleet.STAND_IN, t0, idsBefore, 1, 0);

        crash.expect(victim.isPresent(), "no backend process found at " + victimEndpoint + " to crash");
        crash.restartedWithoutNeed(0);
        LoadStats afterCrash = c.count(crash, c.requests(crashedAt, end, r -> r.model().equals(Fleet.STAND_IN)));
        if (repaired.isPresent()) {
            crash.recovery(repaired.get());
        } else {
            crash.violation("the crashed backend's instance " + victimId + " did not run again within "
                    + c.settings().recoveryPatience().toSeconds() + " s of the broker's return: " + last[0]);
        }
        crash.note("crashed " + (t1 - crashedAt) / 1000 + " s before the broker returned; " + afterCrash.failed()
                + " of " + afterCrash.sent() + " stand-in requests failed from the crash until the fleet was whole");
    }

    /** Empty once the instance (the same one: repaired, not replaced) is RUNNING on a live backend of its own. */
    private static Optional<String> runningAgain(FaultContext c, String instanceId, BackendProcess crashed) {
        Optional<JsonNode> instance = c.fleet().instancesOf(Fleet.STAND_IN).stream()
                .filter(i -> instanceId.equals(i.path("id").asText())).findFirst();
        if (instance.isEmpty()) {
            return Optional.of("the instance is gone (replaced, not repaired)");
        }
        String state = instance.get().path("state").asText();
        String endpoint = instance.get().path("endpoint").asText();
        Optional<BackendProcess> backend = c.backendAt(endpoint);
        if (!"RUNNING".equals(state) || backend.isEmpty()
                || (crashed != null && backend.get().identity().equals(crashed.identity()))) {
            return Optional.of("the scheduler has it " + state + " at " + endpoint + ", "
                    + (backend.isEmpty() ? "where no backend runs" : "backend pid " + backend.get().pid()));
        }
        return Optional.empty();
    }

    private void stopped(FaultContext c, RowResult row) {
        Fleet fleet = c.fleet();
        List<BackendProcess> before = fleet.backends();
        Set<String> idsBefore = c.instanceIds(Fleet.STAND_IN);
        List<JsonNode> instancesBefore = fleet.instancesOf(Fleet.STAND_IN);
        int replicas = fleet.model(Fleet.STAND_IN).replicas();

        long t0 = FaultContext.now();
        c.log("Kafka stopping");
        fleet.stopKafka();
        c.log("Kafka stopped");
        FaultContext.sleepUntil(t0 + Math.min(5_000, stop.toMillis() / 4));
        Http.Answer change = fleet.scale(Fleet.STAND_IN, replicas - 1, Duration.ofSeconds(20));
        row.expect(change.status() == 200, "scaling " + Fleet.STAND_IN + " while Kafka was stopped: "
                + change.describe());
        FaultContext.sleepUntil(t0 + stop.toMillis());
        fleet.startKafka();
        long t1 = FaultContext.now();
        c.log("Kafka started again");

        Optional<Long> settled = c.settle(row, t1, "Kafka started again");
        long end = settled.orElse(FaultContext.now());
        c.load().awaitAnswers();
        LoadStats stats = c.count(row, c.requests(t0, end, r -> true));
        row.expect(stats.failed() == 0, stats.failed() + " of " + stats.sent() + " requests failed: "
                + stats.describeFailures());
        c.judgeBackends(row, before, c.removedEndpoints(instancesBefore, Fleet.STAND_IN, 1));
        c.judgeChange(row, Fleet.STAND_IN, t0, idsBefore, -1, 0);
    }
}
