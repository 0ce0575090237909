package dev.gpufleet.worker.instances;

import dev.gpufleet.events.InstanceObserved;
import dev.gpufleet.events.InstanceState;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

class ObservationPublisherTest {

    @Test
    void aMessageLeavesTheAgentWithoutControlCharacters() {
        InstanceObserved raw = new InstanceObserved("i", "w", InstanceState.ERROR, null, null, 7L,
                "download failed: hub said \u0000\u001b[31mforbidden\u001b[0m", 2);

        InstanceObserved sent = ObservationPublisher.printable(raw);

        assertEquals("download failed: hub said forbidden", sent.message());
        assertEquals(new InstanceObserved("i", "w", InstanceState.ERROR, null, null, 7L,
                "download failed: hub said forbidden", 2), sent);
        InstanceObserved clean = new InstanceObserved("i", "w", InstanceState.RUNNING, null, 4000, 7L, null, 2);
        assertSame(clean, ObservationPublisher.printable(clean));
    }
}
