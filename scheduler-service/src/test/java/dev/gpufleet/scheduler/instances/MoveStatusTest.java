package dev.gpufleet.scheduler.instances;

import dev.gpufleet.events.InstanceState;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;

class MoveStatusTest {
    @ParameterizedTest(name = "replacement {0} ({2}) -> {3}")
    @CsvSource(delimiter = '|', nullValues = "-", value = {
            "PENDING     | -    | waiting for placement  | keeps serving while its replacement demo-b waits for placement",
            "PENDING     | -    | replaces demo-a, which keeps serving until this one runs: worker w1 is being drained | keeps serving while its replacement demo-b waits for placement",
            "PENDING     | -    | no worker fits: w1 is MAINTENANCE | keeps serving: its replacement demo-b cannot be placed yet: no worker fits: w1 is MAINTENANCE",
            "SCHEDULED   | w2   | placed                 | keeps serving until its replacement demo-b runs (SCHEDULED on w2)",
            "STARTING    | w2   | -                      | keeps serving until its replacement demo-b runs (STARTING on w2)",
            "ERROR       | w2   | exited with code 1     | keeps serving: its replacement demo-b failed on w2: exited with code 1",
            "ERROR       | w2   | -                      | keeps serving: its replacement demo-b failed on w2",
            "UNREACHABLE | w2   | worker w2 is unreachable | keeps serving: its replacement demo-b is on w2, which is unreachable",
            "RUNNING     | w2   | -                      | its replacement demo-b runs on w2: this one stops",
    })
    void saysWhyTheInstanceStillServes(InstanceState state, String worker, String message, String expected) {
        assertEquals(expected, MoveStatus.describe(new MoveStatus.Replacement(UUID.randomUUID(), "demo-b", state,
                worker, message)));
    }
}
