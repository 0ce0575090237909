package dev.gpufleet.chaos;

import dev.gpufleet.chaos.faults.AgentKill;
import dev.gpufleet.chaos.faults.BackendKill;
import dev.gpufleet.chaos.faults.Fault;
import dev.gpufleet.chaos.faults.FaultContext;
import dev.gpufleet.chaos.faults.GatewayKill;
import dev.gpufleet.chaos.faults.KafkaOutage;
import dev.gpufleet.chaos.faults.LeaderCutOff;
import dev.gpufleet.chaos.faults.LeaderKill;
import dev.gpufleet.chaos.faults.LinkCut;
import dev.gpufleet.chaos.faults.LinkCutPastGrace;
import dev.gpufleet.chaos.faults.MalformedRecords;
import dev.gpufleet.chaos.faults.Overload;
import dev.gpufleet.chaos.faults.PostgresOutage;
import dev.gpufleet.chaos.fleet.Fleet;
import dev.gpufleet.chaos.fleet.Network;
import dev.gpufleet.chaos.load.ClientLoad;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Starts one fleet, puts the client load on it, and injects the faults one after another (each waits until the
 * fleet is whole again before the next begins), then stops everything. The faults that end in a broken fleet on
 * code that does not survive them come last.
 */
public final class ChaosSuite {
    /** The load balancer's readiness probe: the gateway's Kubernetes manifest (every 5 s, 3 failures). */
    static final ClientLoad.Probing PROBING = new ClientLoad.Probing(Duration.ofSeconds(5), Duration.ofSeconds(5), 3);
    private static final int MAX_OUTSTANDING = 400;

    private ChaosSuite() {
    }

    /** The faults in the order they run. */
    static List<Fault> faults(ChaosSettings s) {
        return List.of(
                new KafkaOutage(s.kafkaPause(), s.kafkaStop()),
                new PostgresOutage(s.postgresPause(), s.postgresStop()),
                new LeaderKill(s.leaderTakeover()),
                new LeaderCutOff(s.leaderCutOff()),
                new LinkCut(s.linkCut(), s.unreachableGrace()),
                new LinkCutPastGrace(s.linkCutPastGrace(), s.unreachableGrace()),
                new AgentKill(),
                new BackendKill(s),
                new GatewayKill(),
                new Overload(s),
                new MalformedRecords());
    }

    /** The rows in the order the table shows them. */
    static List<String> tableOrder(List<Fault> faults) {
        List<String> byFault = new ArrayList<>();
        faults.forEach(f -> byFault.addAll(f.rows()));
        List<String> order = new ArrayList<>(byFault);
        // the crash while Kafka is paused and the malformed records after the gateway, as the issue lists them
        String crash = byFault.get(1);
        order.remove(crash);
        String overload = faults.get(9).rows().get(0);
        order.remove(overload);
        order.add(order.indexOf(faults.get(8).rows().get(0)) + 1, crash);
        order.add(overload);
        return order;
    }

    /**
     * The faults named in {@code gpufleet.chaos.only} (their class names, e.g. {@code LinkCut,AgentKill}), for
     * running a few by hand; all when it is not set.
     */
    static List<Fault> chosen(List<Fault> faults) {
        String only = System.getProperty("gpufleet.chaos.only", "").trim();
        if (only.isEmpty()) {
            return faults;
        }
        List<String> names = List.of(only.split("\\s*,\\s*"));
        List<Fault> chosen = faults.stream().filter(f -> names.contains(f.getClass().getSimpleName())).toList();
        if (chosen.size() != names.size()) {
            throw new IllegalArgumentException("gpufleet.chaos.only: unknown fault among " + names + "; known: "
                    + faults.stream().map(f -> f.getClass().getSimpleName()).toList());
        }
        return chosen;
    }

    public static ChaosReport run(ChaosSettings settings, Path root, Path chaosDir, PrintStream out) {
        long t0 = System.nanoTime();
        Network.Availability namespaces = Network.availability();
        List<String> lines = new ArrayList<>(settings.describe());
        if (!namespaces.available()) {
            lines.add("network namespaces: not available (" + namespaces.reason() + "): the agents share the host's "
                    + "network and the link-cut rows do not run");
        }
        lines.forEach(l -> out.println("  " + l));
        List<Fault> faults = faults(settings);
        List<Fault> chosen = chosen(faults);
        List<RowResult> rows = new ArrayList<>();
        String fleetLine;
        try (Fleet fleet = Fleet.start(settings, root, chaosDir, namespaces.available(), out);
             ClientLoad load = new ClientLoad(fleet.gatewayUrls(), fleet.apiKey(), settings.requestTimeout(),
                     MAX_OUTSTANDING, PROBING)) {
            fleetLine = fleet.agents().size() + " workers" + (fleet.namespaces() ? " in network namespaces" : "")
                    + ", 2 schedulers, 2 gateways";
            load.rate(Fleet.DEMO, settings.demoRate());
            load.rate(Fleet.STAND_IN, settings.standInRate());
            load.start();
            FaultContext context = new FaultContext(fleet, load, settings, out);
            FaultContext.sleepUntil(FaultContext.now() + 10_000);
            for (Fault fault : chosen) {
                rows.addAll(runOne(fault, fleet, context, namespaces, settings, out));
            }
            out.println("Stopping the fleet ...");
        }
        List<String> order = tableOrder(faults);
        rows.sort(Comparator.comparingInt(r -> order.indexOf(r.fault())));
        return new ChaosReport(lines, rows, Duration.ofNanos(System.nanoTime() - t0), fleetLine);
    }

    private static List<RowResult> runOne(Fault fault, Fleet fleet, FaultContext context,
                                          Network.Availability namespaces, ChaosSettings settings, PrintStream out) {
        if (fault.needsNamespaces() && !namespaces.available()) {
            List<RowResult> notRun = new ArrayList<>();
            for (int i = 0; i < fault.rows().size(); i++) {
                notRun.add(RowResult.notRun(fault.rows().get(i), fault.expectations().get(i),
                        "needs network namespaces: " + namespaces.reason()));
            }
            notRun.forEach(r -> out.println("  DID NOT RUN  " + r.fault() + ": " + r.notRunReason()));
            return notRun;
        }
        long started = System.nanoTime();
        out.println("  " + String.join(" / ", fault.rows()) + " ...");
        List<RowResult> results;
        try {
            fleet.awaitSettled(settings.recoveryPatience(), "before: " + String.join(" / ", fault.rows()));
            results = fault.run(context);
        } catch (Exception e) {
            results = new ArrayList<>();
            for (int i = 0; i < fault.rows().size(); i++) {
                RowResult r = new RowResult(fault.rows().get(i), fault.expectations().get(i));
                r.violation("could not be carried out: " + e);
                results.add(r);
            }
            e.printStackTrace(out);
        }
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        for (RowResult r : results) {
            r.took(took);
            out.println("  " + (r.holds() ? "holds" : "DOES NOT HOLD") + "  " + r.fault() + " ("
                    + ChaosReport.seconds(took) + ")" + (r.holds() ? "" : ": " + String.join("; ", r.violations())));
        }
        return results;
    }
}
