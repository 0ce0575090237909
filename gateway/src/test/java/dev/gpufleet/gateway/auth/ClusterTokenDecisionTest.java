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
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * The service token is recognised whatever it looks like, an API key (gpf_...) included, and refused (403: the
 * gateway's routes take API keys only); a presented API key is not compared with a service token that cannot look
 * like one, and is never taken for it.
 */
class ClusterTokenDecisionTest {
    @ParameterizedTest(name = "service token {0}, presented {1}")
    @CsvSource(delimiter = '|', value = {
            "test-cluster-token-0123456789abcdef | test-cluster-token-0123456789abcdef | true",
            "test-cluster-token-0123456789abcdef | test-cluster-token-012345678X | false",
            "test-cluster-token-0123456789abcdef | gpf_0123456789abcdef_abababababababababababababababababababababababababababababababab | false",
            "gpf_0123456789abcdef_abababababababababababababababababababababababababababababababab | gpf_0123456789abcdef_abababababababababababababababababababababababababababababababab | true",
            "gpf_0123456789abcdef_abababababababababababababababababababababababababababababababab | gpf_0123456789abcdef_abababababababababababababababababababababababababababababababac | false",
            "gpf_cluster-token-that-is-long-enough | gpf_cluster-token-that-is-long-enough | true",
    })
    void recognisesTheServiceTokenOnlyToRefuseIt(String clusterToken, String presented, boolean cluster) {
        Authenticator authenticator = new Authenticator(null, Clock.systemUTC(), Duration.ofSeconds(10),
                Duration.ofHours(1), new ClusterToken(clusterToken), new DatabaseGuard(
                new ControlPlaneState(new SimpleMeterRegistry()), Duration.ofSeconds(3)));
        Authenticator.Outcome outcome = authenticator.decideNow(presented);
        if (cluster) {
            assertEquals(Authenticator.SERVICE_TOKEN, outcome);
        } else {
            assertNotEquals(Authenticator.SERVICE_TOKEN, outcome);
            assertFalse(outcome instanceof Authenticator.Allowed, String.valueOf(outcome));
        }
    }
}
