package dev.gpufleet.chaos;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fault-injection suite as tests: one fleet of real processes, every fault of the table injected in turn under
 * the client load, and one test per row that holds only if the fleet did what the row expects (its message says
 * what it observed otherwise). Rows that need network namespaces are skipped, saying so, where they are not
 * available (not root); CI runs as root and runs them all.
 */
class FleetSurvivesFaultsTest {

    @TestFactory
    List<DynamicTest> everyRowOfTheTableHolds() {
        Path root = Path.of(System.getProperty("gpufleet.root", "..")).toAbsolutePath().normalize();
        Path chaosDir = Path.of(System.getProperty("gpufleet.chaos.dir", "target/chaos-fleet"));
        ChaosReport report = ChaosSuite.run(ChaosSettings.fromSystemProperties(), root, chaosDir, System.out);
        report.print(System.out);
        return report.rows().stream().map(row -> DynamicTest.dynamicTest(row.fault(), () -> {
            Assumptions.assumeTrue(row.ran(), () -> "did not run: " + row.notRunReason());
            assertTrue(row.holds(), row::observed);
        })).toList();
    }
}
