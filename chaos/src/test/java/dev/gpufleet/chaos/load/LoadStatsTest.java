package dev.gpufleet.chaos.load;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class LoadStatsTest {

    private static RequestRecord answered(String model, long latency, int status) {
        return new RequestRecord(0, latency, model, "k", 0, status, status == 200 ? null : "x", null, false, false);
    }

    @Test
    void countsFailuresByModelAndOutcomeAndTakesPercentilesOfTheAnsweredOnly() {
        List<RequestRecord> records = new ArrayList<>();
        for (int i = 1; i <= 10; i++) {
            records.add(answered("standin", i * 10, 200));
        }
        records.add(answered("standin", 5_000, 503));
        records.add(answered("demo", 20_000, RequestRecord.NO_ANSWER));
        records.add(answered("demo", 0, RequestRecord.NOT_SENT));
        LoadStats stats = LoadStats.of(records);
        assertEquals(13, stats.sent());
        assertEquals(3, stats.failed());
        assertEquals(50, stats.p50Millis());
        assertEquals(90, stats.p90Millis());
        assertEquals(Map.of("standin 503", 1L, "demo no answer (x)", 1L, "demo not sent (x)", 1L),
                stats.failuresByOutcome());
    }

    @Test
    void noAnswersHaveNoPercentiles() {
        LoadStats stats = LoadStats.of(List.of(answered("demo", 10, 503)));
        assertEquals(-1, stats.p50Millis());
        assertEquals("1 × demo 503 x", stats.describeFailures());
        assertEquals("none", LoadStats.of(List.of()).describeFailures());
    }
}
