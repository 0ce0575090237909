package dev.gpufleet.chaos.faults;

import dev.gpufleet.chaos.ChaosSettings;
import dev.gpufleet.chaos.RowResult;
import dev.gpufleet.chaos.fleet.BackendProcess;
import dev.gpufleet.chaos.fleet.Fleet;
import dev.gpufleet.chaos.fleet.Signals;
import dev.gpufleet.chaos.load.LoadStats;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A stand-in backend SIGKILLed (a crash) and another SIGSTOPped (hung: its port stays open, nothing answers). The
 * crashed one must run again within the restart backoff plus a start; the hung one must be found by the liveness
 * probe (three failed probes) and killed, then run again the same way.
 */
public final class BackendKill implements Fault {
    /** What a stand-in backend needs to start once its agent runs it, on a loaded 2-core machine. */
    static final Duration START_ALLOWANCE = Duration.ofSeconds(20);
    private final ChaosSettings settings;

    public BackendKill(ChaosSettings settings) {
        this.settings = settings;
    }

    @Override
    public List<String> rows() {
        return List.of("backend SIGKILL / SIGSTOP");
    }

    Duration restartBound() {
        return settings.restartBackoffBase().plus(START_ALLOWANCE);
    }

    Duration hungBound() {
        return settings.hungDetection().plus(Duration.ofSeconds(5));
    }

    @Override
    public List<String> expectations() {
        return List.of("restarted / detected as hung and replaced, within the documented times (crash: running "
                + "again within " + restartBound().toSeconds() + " s; hung: killed within " + hungBound().toSeconds()
                + " s and running again " + restartBound().toSeconds() + " s later)");
    }

    @Override
    public List<RowResult> run(FaultContext c) {
        Fleet fleet = c.fleet();
        RowResult r = new RowResult(rows().get(0), expectations().get(0));
        List<String> standIns = c.running(Fleet.STAND_IN).stream().map(i -> i.path("endpoint").asText()).toList();
        if (standIns.size() < 2) {
            r.violation("needs two running stand-in instances, has " + standIns.size());
            return List.of(r);
        }
        List<BackendProcess> before = fleet.backends();
        BackendProcess crashed = c.backendAt(standIns.get(0)).orElseThrow();
        BackendProcess hung = c.backendAt(standIns.get(1)).orElseThrow();
        String[] last = {""};

        long t0 = FaultContext.now();
        c.log("backend at " + crashed.endpoint() + " killed");
        Signals.send("KILL", crashed.pid());
        Optional<Duration> restarted = FaultContext.await(restartBound().plus(Duration.ofSeconds(30)),
                Duration.ofMillis(250), () -> whole(c, crashed), last);
        if (restarted.isEmpty()) {
            r.violation("the crashed backend did not run again: " + last[0]);
        } else {
            r.expect(restarted.get().compareTo(restartBound()) <= 0, "the crashed backend ran again after "
                    + restarted.get().toMillis() + " ms (bound " + restartBound().toMillis() + " ms)");
            r.note("crash: running again after " + restarted.get().toMillis() + " ms");
        }

        long t1 = FaultContext.now();
        c.log("backend at " + hung.endpoint() + " paused");
        Signals.send("STOP", hung.pid());
        Optional<Duration> killed = FaultContext.await(hungBound().plus(Duration.ofSeconds(20)), Duration.ofMillis(250),
                () -> ProcessHandle.of(hung.pid()).map(ProcessHandle::isAlive).orElse(false)
                        ? Optional.of("pid " + hung.pid() + " still there") : Optional.empty(), last);
        if (killed.isEmpty()) {
            r.violation("the hung backend was not detected: " + last[0] + " " + hungBound().plus(Duration.ofSeconds(20))
                    .toSeconds() + " s after it hung");
            Signals.send("KILL", hung.pid());
        } else {
            r.expect(killed.get().compareTo(hungBound()) <= 0, "the hung backend was killed after "
                    + killed.get().toMillis() + " ms (bound " + hungBound().toMillis() + " ms)");
            Optional<Duration> again = FaultContext.await(restartBound().plus(Duration.ofSeconds(30)),
                    Duration.ofMillis(250), () -> whole(c, hung), last);
            if (again.isEmpty()) {
                r.violation("the hung backend did not run again: " + last[0]);
            } else {
                r.expect(again.get().compareTo(restartBound()) <= 0, "the hung backend ran again "
                        + again.get().toMillis() + " ms after it was killed (bound " + restartBound().toMillis()
                        + " ms)");
                r.note("hang: killed after " + killed.get().toMillis() + " ms, running again "
                        + again.get().toMillis() + " ms later");
            }
        }
        Optional<Long> settled = c.settle(r, t1, "the hung backend");
        long end = settled.orElse(FaultContext.now());
        r.recovery(Duration.ofMillis(end - t1));
        c.load().awaitAnswers();
        LoadStats stats = c.count(r, c.requests(t0, end, q -> true));
        r.note(stats.failed() + " of " + stats.sent() + " requests failed (" + stats.describeFailures() + ")");
        c.judgeBackends(r, before, List.of(crashed.endpoint(), hung.endpoint()));
        return List.of(r);
    }

    /** Empty once the model has its replicas RUNNING, each with a live backend, the given process not among them. */
    private static Optional<String> whole(FaultContext c, BackendProcess gone) {
        Fleet fleet = c.fleet();
        int replicas = fleet.model(Fleet.STAND_IN).replicas();
        List<String> running = c.running(Fleet.STAND_IN).stream().map(i -> i.path("endpoint").asText()).toList();
        List<BackendProcess> backends = fleet.backends();
        long live = running.stream().filter(e -> backends.stream().anyMatch(b -> b.endpoint().equals(e)
                && !b.identity().equals(gone.identity()))).count();
        return live == replicas ? Optional.empty()
                : Optional.of(live + " of " + replicas + " " + Fleet.STAND_IN
                + " instances RUNNING with a live backend");
    }
}
