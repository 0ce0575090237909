package dev.gpufleet.deploycheck;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * The real tree, deploy/kubernetes: every overlay renders, every object is valid for its kind's schema and the
 * cross-references hold. A missing tree fails (nothing is skipped).
 */
class DeployedManifestsTest {
    static final Path TREE = Path.of("..", "deploy", "kubernetes");

    @ParameterizedTest
    @ValueSource(strings = {"dev", "production"})
    void overlayIsValid(String overlay) {
        var objects = ManifestChecks.render(TREE, overlay);
        assertFalse(objects.isEmpty(), overlay + " renders no objects");
        ManifestChecks.assertClean(overlay, objects);
    }

    @ParameterizedTest
    @ValueSource(strings = {"production"})
    void productionIsHighlyAvailable(String overlay) {
        assertEquals(List.of(), ManifestChecks.productionProblems(ManifestChecks.render(TREE, overlay)));
    }
}
