package dev.gpufleet.bench;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** How phase 1 tells a stall (slow requests together) from a tail spread thin over the run. */
class SlowSpreadTest {
    /**
     * 1,000 requests at 1,000 req/s in windows of 100 ms (100 requests each); {@code slowAt} lists the indexes of
     * the requests that took 2 ms, the rest 0.1 ms.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "none slow|''|0|0|10|0",
            "one stall|300 301 302 303 304|5|1|10|5",
            "spread thin|5 105 205 305 405 505 605 705 805 905|10|10|10|1",
            "window edges|99 100 999|3|3|10|1",
            "exactly the threshold is not slow|-1|0|0|10|0"})
    void countsSlowRequestsAndTheWindowsTheyLieIn(String what, String slowAt, int slow, int windowsWithSlow,
                                                   int windows, int most) {
        long[] latencies = new long[1000];
        Arrays.fill(latencies, 100_000);
        if (slowAt.equals("-1")) {
            latencies[7] = 1_000_000;
        } else if (!slowAt.isBlank()) {
            for (String i : slowAt.split(" ")) {
                latencies[Integer.parseInt(i)] = 2_000_000;
            }
        }
        GatewayBench.SlowSpread spread = GatewayBench.SlowSpread.of(latencies, 1000, 1_000_000, 100);
        assertEquals(new GatewayBench.SlowSpread(slow, windowsWithSlow, windows, most), spread, what);
    }

    @ParameterizedTest(name = "a last window of {0} requests")
    @CsvSource({"1050, 11", "1000, 10", "1, 1"})
    void aShortLastWindowCounts(int requests, int windows) {
        long[] latencies = new long[requests];
        latencies[requests - 1] = 5_000_000;
        GatewayBench.SlowSpread spread = GatewayBench.SlowSpread.of(latencies, 1000, 1_000_000, 100);
        assertEquals(windows, spread.windows());
        assertEquals(1, spread.requests());
    }

    /** Streams start when earlier ones end, not at a fixed rate: windows go by each one's start time. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "none slow|0 50 150 250|1 1 1 1|0|0|3|0",
            "two in one window|0 10 20 150|5 5 1 1|2|1|2|2",
            "one in each of two windows|0 120 240|1 5 5|2|2|3|1",
            "no streams|''|''|0|0|0|0"})
    void timedRequestsFallInTheWindowOfTheirStart(String what, String startsMillis, String latenciesMillis, int slow,
                                                  int windowsWithSlow, int windows, int most) {
        long[] starts = millisToNanos(startsMillis);
        long[] latencies = millisToNanos(latenciesMillis);
        GatewayBench.SlowSpread spread = GatewayBench.SlowSpread.timed(starts, latencies, 2_000_000, 100);
        assertEquals(new GatewayBench.SlowSpread(slow, windowsWithSlow, windows, most), spread, what);
    }

    private static long[] millisToNanos(String list) {
        return list.isBlank() ? new long[0]
                : Arrays.stream(list.split(" ")).mapToLong(m -> Long.parseLong(m) * 1_000_000).toArray();
    }
}
