package dev.gpufleet.scheduler.workers;

import dev.gpufleet.events.InstanceState;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DrainProgressTest {
    @Test
    void completeOnceNoInstanceIsLeft() {
        DrainProgress done = DrainProgress.of(List.of());
        assertTrue(done.complete());
        assertEquals(0, done.instancesLeft());
        assertEquals("complete: no instance is left on this worker", done.message());
    }

    @Test
    void saysWhatIsLeftAndWhy() {
        DrainProgress.Left serving = new DrainProgress.Left(UUID.randomUUID(), "chat-a", "chat", InstanceState.RUNNING,
                "keeps serving: its replacement chat-b cannot be placed yet: no worker fits");
        DrainProgress.Left next = new DrainProgress.Left(UUID.randomUUID(), "embed-a", "embed",
                InstanceState.SCHEDULED, null);
        DrainProgress one = DrainProgress.of(List.of(serving));
        assertFalse(one.complete());
        assertEquals("1 instance left: chat-a (chat, RUNNING): keeps serving: its replacement chat-b cannot be "
                + "placed yet: no worker fits", one.message());
        DrainProgress two = DrainProgress.of(List.of(serving, next));
        assertEquals(2, two.instancesLeft());
        assertTrue(two.message().startsWith("2 instances left: chat-a"), two.message());
        assertTrue(two.message().endsWith("; embed-a (embed, SCHEDULED): to be moved"), two.message());
    }
}
