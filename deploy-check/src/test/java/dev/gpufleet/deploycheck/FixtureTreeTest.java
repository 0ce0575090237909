package dev.gpufleet.deploycheck;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The checks pass on a correct stand-in tree, so a failure on the real tree is the tree's, not the checks'. */
class FixtureTreeTest {
    static final Path TREE = Path.of("src", "test", "resources", "fixture-tree");

    @ParameterizedTest
    @ValueSource(strings = {"dev", "production"})
    void standInIsClean(String overlay) {
        ManifestChecks.assertClean(overlay, ManifestChecks.render(TREE, overlay));
    }

    @Test
    void productionStandInIsHighlyAvailableAndDevIsNot() {
        assertEquals(List.of(), ManifestChecks.productionProblems(ManifestChecks.render(TREE, "production")));
        List<String> dev = ManifestChecks.productionProblems(ManifestChecks.render(TREE, "dev"));
        assertTrue(dev.stream().anyMatch(p -> p.contains("2 replicas")), dev.toString());
        assertTrue(dev.stream().anyMatch(p -> p.contains("no PodDisruptionBudget")), dev.toString());
    }

    @Test
    void aMissingTreeFailsNamingIt() {
        AssertionErrorHolder.expect(() -> ManifestChecks.render(Path.of("no-such-tree"), "dev"), "does not exist");
    }

    static List<ObjectNode> production() {
        return ManifestChecks.render(TREE, "production");
    }

    static final class AssertionErrorHolder {
        static void expect(Runnable r, String text) {
            try {
                r.run();
            } catch (AssertionError e) {
                assertTrue(e.getMessage().contains(text), e.getMessage());
                return;
            }
            throw new AssertionError("expected a failure containing '" + text + "'");
        }
    }
}
