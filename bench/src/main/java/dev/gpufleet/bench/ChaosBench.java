package dev.gpufleet.bench;

import dev.gpufleet.chaos.ChaosReport;
import dev.gpufleet.chaos.ChaosSettings;
import dev.gpufleet.chaos.ChaosSuite;

import java.nio.file.Path;

/**
 * The fault-injection suite (chaos module) run by hand: starts the whole fleet from the packaged jars, injects every
 * fault of the table under a client load and prints the table with its figures. As root the workers run in network
 * namespaces of their own and the link-cut rows run too. Settings are system properties
 * ({@code BENCH_JAVA_OPTS=-Dgpufleet.chaos.kafka-pause=60s}; {@code -Dgpufleet.chaos.only=LinkCut,AgentKill} runs a
 * few). Exit code 1 when a row does not hold.
 *
 * <p>Args: none.
 */
public final class ChaosBench {
    private ChaosBench() {
    }

    public static void main(String[] args) {
        // the services' jars on this classpath bring JBoss LogManager; it must be JUL's before anything logs
        System.setProperty("java.util.logging.manager", "org.jboss.logmanager.LogManager");
        Path root = Path.of(System.getProperty("gpufleet.root", ".")).toAbsolutePath().normalize();
        Path chaosDir = Path.of(System.getProperty("gpufleet.chaos.dir", root.resolve("chaos/target/chaos-fleet")
                .toString()));
        ChaosReport report = ChaosSuite.run(ChaosSettings.fromSystemProperties(), root, chaosDir, System.out);
        report.print(System.out);
        System.exit(report.rows().stream().allMatch(r -> !r.ran() || r.holds()) ? 0 : 1);
    }
}
