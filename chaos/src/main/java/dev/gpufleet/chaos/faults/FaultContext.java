package dev.gpufleet.chaos.faults;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gpufleet.chaos.ChaosSettings;
import dev.gpufleet.chaos.RowResult;
import dev.gpufleet.chaos.fleet.BackendProcess;
import dev.gpufleet.chaos.fleet.Fleet;
import dev.gpufleet.chaos.load.ClientLoad;
import dev.gpufleet.chaos.load.LoadStats;
import dev.gpufleet.chaos.load.RequestRecord;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/** What a fault works with: the fleet, the client load, the settings, and the measures every row takes. */
public final class FaultContext {
    private final Fleet fleet;
    private final ClientLoad load;
    private final ChaosSettings settings;
    private final PrintStream out;

    public FaultContext(Fleet fleet, ClientLoad load, ChaosSettings settings, PrintStream out) {
        this.fleet = fleet;
        this.load = load;
        this.settings = settings;
        this.out = out;
    }

    public Fleet fleet() {
        return fleet;
    }

    public ClientLoad load() {
        return load;
    }

    public ChaosSettings settings() {
        return settings;
    }

    public void log(String line) {
        out.println("    " + java.time.LocalTime.now().withNano(0) + " " + line);
    }

    public static long now() {
        return System.currentTimeMillis();
    }

    /** Sleeps until the epoch millisecond (at once if it passed). */
    public static void sleepUntil(long epochMillis) {
        long wait = epochMillis - now();
        if (wait > 0) {
            try {
                Thread.sleep(wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }
    }

    /**
     * Polls {@code problem} (empty when the condition holds) until it holds or the timeout passes.
     *
     * @return how long it took, or empty when it never held (the last problem goes to {@code lastProblem})
     */
    public static Optional<Duration> await(Duration timeout, Duration every, Supplier<Optional<String>> problem,
                                           String[] lastProblem) {
        long t0 = System.nanoTime();
        long deadline = t0 + timeout.toNanos();
        while (true) {
            Optional<String> p = problem.get();
            if (p.isEmpty()) {
                return Optional.of(Duration.ofNanos(System.nanoTime() - t0));
            }
            lastProblem[0] = p.get();
            if (System.nanoTime() >= deadline) {
                return Optional.empty();
            }
            sleepUntil(now() + every.toMillis());
        }
    }

    /** Waits until the fleet is whole again; records the time (from {@code since}) or the violation. */
    public Optional<Long> settle(RowResult row, long since, String what) {
        String[] last = {""};
        Optional<Duration> took = await(settings.recoveryPatience(), Duration.ofMillis(500), () -> {
            List<String> problems = fleet.unsettled();
            return problems.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", problems));
        }, last);
        if (took.isEmpty()) {
            row.violation("the fleet was not whole " + settings.recoveryPatience().toSeconds() + " s after " + what
                    + ": " + last[0]);
            return Optional.empty();
        }
        long at = now();
        row.recovery(Duration.ofMillis(at - since));
        return Optional.of(at);
    }

    /** Requests sent in the window, of the models given (all when none). */
    public List<RequestRecord> requests(long from, long to, Predicate<RequestRecord> which) {
        return load.sentBetween(from, to).stream().filter(which).toList();
    }

    /** Counts them on the row; returns the stats. */
    public LoadStats count(RowResult row, List<RequestRecord> requests) {
        LoadStats stats = LoadStats.of(requests);
        row.requests(stats.sent(), stats.failed());
        return stats;
    }

    /** Backends alive before and not now, other than those the fault may end; counted on the row and violated. */
    public List<BackendProcess> judgeBackends(RowResult row, List<BackendProcess> before, Collection<String> allowed) {
        List<BackendProcess> gone = BackendDiff.goneWithoutNeed(before, fleet.backends(), allowed);
        row.restartedWithoutNeed(gone.size());
        row.expect(gone.isEmpty(), gone.size() + " backend(s) stopped or restarted without need: "
                + BackendDiff.describe(gone));
        return gone;
    }

    /** Instance ids of a model, as the scheduler lists them now. */
    public Set<String> instanceIds(String model) {
        return fleet.instancesOf(model).stream().map(i -> i.path("id").asText()).collect(Collectors.toSet());
    }

    /** The RUNNING instances of the model with their endpoint and worker name. */
    public List<JsonNode> running(String model) {
        return fleet.instancesOf(model).stream().filter(i -> "RUNNING".equals(i.path("state").asText())).toList();
    }

    /** Endpoints of the instances listed before that the model no longer has (at most {@code max}, else none). */
    public List<String> removedEndpoints(List<JsonNode> before, String model, int max) {
        Set<String> now = instanceIds(model);
        List<String> removed = before.stream().filter(i -> !now.contains(i.path("id").asText()))
                .map(i -> i.path("endpoint").asText()).toList();
        return removed.size() <= max ? removed : List.of();
    }

    /** Where the model's RUNNING instances are: agent → their endpoints. */
    public java.util.Map<Fleet.Agent, List<String>> placement(String model) {
        java.util.Map<Fleet.Agent, List<String>> where = new java.util.LinkedHashMap<>();
        for (JsonNode i : running(model)) {
            String endpoint = i.path("endpoint").asText();
            fleet.agentAt(endpoint).ifPresent(a -> where.computeIfAbsent(a, k -> new java.util.ArrayList<>())
                    .add(endpoint));
        }
        return where;
    }

    /** An agent running the stand-in model and, where one exists, not the demo model. */
    public Fleet.Agent standInWorker() {
        java.util.Map<Fleet.Agent, List<String>> standIn = placement(Fleet.STAND_IN);
        java.util.Map<Fleet.Agent, List<String>> demo = placement(Fleet.DEMO);
        return standIn.keySet().stream().filter(a -> !demo.containsKey(a)).findFirst()
                .or(() -> standIn.keySet().stream().findFirst())
                .orElseThrow(() -> new IllegalStateException("no worker runs " + Fleet.STAND_IN));
    }

    public Optional<BackendProcess> backendAt(String endpoint) {
        return fleet.backends().stream().filter(b -> b.endpoint().equals(endpoint)).findFirst();
    }

    /**
     * Judges a model change made during the fault from what the scheduler published since {@code since}: the
     * model must end with {@code expectedNew} more instances than it lost, and no instance may have two different
     * changes under one revision, and instances beyond the change and {@code mayReplace} must not have been
     * replaced. Sets the row's events figures.
     */
    public void judgeChange(RowResult row, String model, long since, Set<String> idsBefore, int expectedNew,
                            int mayReplace) {
        InstanceAudit audit = InstanceAudit.of(fleet.events().readAll(dev.gpufleet.events.Topics.INSTANCES));
        Set<String> created = audit.createdSince(fleet.model(model).id, since);
        Set<String> now = instanceIds(model);
        Set<String> removed = idsBefore.stream().filter(id -> !now.contains(id)).collect(Collectors.toSet());
        ChangeCount count = ChangeCount.of(expectedNew, now.size() - idsBefore.size());
        List<String> conflicts = audit.conflictsSince(since);
        row.events(count.lost(), count.doubled() + conflicts.size());
        String asked = model + " has " + now.size() + " instances, " + (idsBefore.size() + expectedNew) + " asked for";
        row.expect(count.lost() == 0, "the model change made during the fault was lost: " + asked);
        row.expect(count.doubled() == 0, "the model change took effect more than once: " + asked);
        row.expect(conflicts.isEmpty(), "two writers: " + String.join("; ", conflicts));
        if (created.size() > Math.max(0, expectedNew) + mayReplace
                || removed.size() > Math.max(0, -expectedNew) + mayReplace) {
            row.violation("instances replaced without need: " + created.size() + " new instance(s) of " + model
                    + " published since the fault began and " + removed.size() + " removed, for a change of "
                    + expectedNew);
        }
    }
}
