package dev.gpufleet.gateway.auth;

import dev.gpufleet.gateway.health.ControlPlaneState;
import dev.gpufleet.gateway.health.DatabaseGuard;
import dev.gpufleet.kit.auth.ClusterToken;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Clock;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * The cluster token is recognised whatever it looks like, an API key (gpf_...) included; a presented API key is not
 * compared with a cluster token that cannot look like one, and is never taken for it.
 */
class ClusterTokenDecisionTest {
    @ParameterizedTest(name = "cluster token {0}, presented {1}")
    @CsvSource(delimiter = '|', value = {
            "test-cluster-token-0123456789 | test-cluster-token-0123456789 | true",
            "test-cluster-token-0123456789 | test-cluster-token-012345678X | false",
            "test-cluster-token-0123456789 | gpf_0123456789abcdef_abababababababababababababababababababababababababababababababab | false",
            "gpf_0123456789abcdef_abababababababababababababababababababababababababababababababab | gpf_0123456789abcdef_abababababababababababababababababababababababababababababababab | true",
            "gpf_0123456789abcdef_abababababababababababababababababababababababababababababababab | gpf_0123456789abcdef_abababababababababababababababababababababababababababababababac | false",
            "gpf_cluster-token-that-is-long | gpf_cluster-token-that-is-long | true",
    })
    void recognisesTheClusterTokenOnly(String clusterToken, String presented, boolean cluster) {
        Authenticator authenticator = new Authenticator(null, Clock.systemUTC(), Duration.ofSeconds(10),
                Duration.ofHours(1), new ClusterToken(clusterToken), new DatabaseGuard(
                new ControlPlaneState(new SimpleMeterRegistry()), Duration.ofSeconds(3)));
        Authenticator.Outcome outcome = authenticator.decideNow(presented);
        Authenticator.Allowed asCluster = new Authenticator.Allowed(Caller.CLUSTER_TOKEN);
        if (cluster) {
            assertEquals(asCluster, outcome);
        } else {
            assertNotEquals(asCluster, outcome);
        }
    }
}
