package dev.gpufleet.chaos.faults;

import dev.gpufleet.chaos.fleet.BackendProcess;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class BackendDiffTest {
    private static final Instant T = Instant.parse("2026-12-07T10:00:00Z");

    private static BackendProcess b(long pid, long startSecond, String endpoint) {
        return new BackendProcess(pid, T.plusSeconds(startSecond), endpoint, "standin");
    }

    @Test
    void aProcessStillThereIsKeptARestartedOrStoppedOneIsGoneUnlessAllowed() {
        BackendProcess kept = b(10, 0, "w1:40000");
        BackendProcess restarted = b(11, 0, "w1:40001");
        BackendProcess stopped = b(12, 0, "w2:40000");
        BackendProcess crashedOnPurpose = b(13, 0, "w3:40000");
        List<BackendProcess> before = List.of(kept, restarted, stopped, crashedOnPurpose);
        List<BackendProcess> after = List.of(kept, b(21, 5, "w1:40001"), b(22, 6, "w3:40000"));
        assertEquals(List.of(restarted, stopped), BackendDiff.goneWithoutNeed(before, after, List.of("w3:40000")));
    }

    @Test
    void aPidThatCameRoundAgainIsANewProcess() {
        BackendProcess old = b(10, 0, "w1:40000");
        assertEquals(List.of(old), BackendDiff.goneWithoutNeed(List.of(old), List.of(b(10, 9, "w1:40000")), List.of()));
    }
}
