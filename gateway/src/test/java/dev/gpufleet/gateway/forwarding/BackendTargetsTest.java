package dev.gpufleet.gateway.forwarding;

import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.InstanceState;
import dev.gpufleet.gateway.routing.Events;
import dev.gpufleet.kit.auth.BackendKeySecret;
import dev.gpufleet.kit.auth.InstanceApiKeys;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

/** Where a request to an instance goes, worked out once per instance and endpoint. */
class BackendTargetsTest {
    private static final String TOKEN = "backend-key-secret-for-targets-0123456789";

    private static InstanceChanged instance(String id, String endpoint) {
        return (InstanceChanged) Events.instanceChanged(id, "m-1", InstanceState.RUNNING, endpoint, 1).payload();
    }

    @Test
    void anInstanceGetsItsHostAndItsOwnKeyOnce() {
        BackendTargets targets = new BackendTargets(new BackendKeySecret(TOKEN));
        BackendTargets.BackendTarget target = targets.target(instance("i-1", "10.0.0.7:40001"));
        assertEquals(Optional.of(new BackendEndpoint("10.0.0.7", 40001)), target.endpoint());
        assertEquals("host: 10.0.0.7:40001\r\nauthorization: Bearer "
                        + InstanceApiKeys.forInstance(TOKEN, "i-1") + "\r\n",
                new String(target.fixedHeaders(), StandardCharsets.ISO_8859_1));
        assertSame(target, targets.target(instance("i-1", "10.0.0.7:40001")));
    }

    @Test
    void aNewEndpointOfTheSameInstanceIsWorkedOutAgain() {
        BackendTargets targets = new BackendTargets(new BackendKeySecret(TOKEN));
        targets.target(instance("i-1", "10.0.0.7:40001"));
        BackendTargets.BackendTarget moved = targets.target(instance("i-1", "10.0.0.8:40002"));
        assertEquals(Optional.of(new BackendEndpoint("10.0.0.8", 40002)), moved.endpoint());
        assertEquals("host: 10.0.0.8:40002\r\nauthorization: Bearer "
                        + InstanceApiKeys.forInstance(TOKEN, "i-1") + "\r\n",
                new String(moved.fixedHeaders(), StandardCharsets.ISO_8859_1));
    }

    @Test
    void anEndpointThatIsNotHostAndPortIsUnusable() {
        BackendTargets.BackendTarget target = new BackendTargets(new BackendKeySecret(TOKEN)).target(instance("i-1", "http://host:80"));
        assertEquals(Optional.empty(), target.endpoint());
        assertNull(target.fixedHeaders());
    }

    @Test
    void rerankingIsCalledOnTheBackendsRerankPath() {
        assertEquals("/v1/rerank", BackendTargets.backendPath("/v1/reranking"));
        assertEquals("/v1/rerank", BackendTargets.backendPath("/v1/rerank"));
        assertEquals("/v1/chat/completions", BackendTargets.backendPath("/v1/chat/completions"));
    }
}
