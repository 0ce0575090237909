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
import static org.junit.jupiter.api.Assertions.assertTrue;

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

    @Test
    void duringARotationTheOtherKeyIsTriedAndTheOneAcceptedIsRemembered() {
        String previous = "previous-backend-key-secret-0123456789abcdef";
        BackendTargets.BackendTarget target = new BackendTargets(new BackendKeySecret(TOKEN,
                Optional.of(previous))).target(instance("i-1", "10.0.0.7:40001"));
        byte[] current = target.fixedHeaders();
        assertTrue(new String(current, StandardCharsets.ISO_8859_1).contains(InstanceApiKeys.forInstance(TOKEN, "i-1")));
        byte[] other = target.otherThan(current);
        assertEquals("host: 10.0.0.7:40001\r\nauthorization: Bearer " + InstanceApiKeys.forInstance(previous, "i-1")
                + "\r\n", new String(other, StandardCharsets.ISO_8859_1));
        target.accepted(other);
        assertSame(other, target.fixedHeaders(), "the previous key first from now on");
        assertSame(current, target.otherThan(other));
        target.accepted(current);
        assertSame(current, target.fixedHeaders());
        assertNull(new BackendTargets(new BackendKeySecret(TOKEN)).target(instance("i-1", "10.0.0.7:40001"))
                .otherThan(current), "outside a rotation there is no other key");
    }
}
