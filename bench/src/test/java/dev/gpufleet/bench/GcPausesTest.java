package dev.gpufleet.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The GC pause totals the gateway bench reads from jstat -gc (outputs recorded from JDK 17.0.15). */
class GcPausesTest {
    private static final String HEADER = "    S0C         S1C         S0U         S1U          EC           EU  "
            + "         OC           OU          MC         MU       CCSC      CCSU     YGC     YGCT     FGC    FGCT"
            + "     CGC    CGCT       GCT   ";

    /** G1 counts young, full and concurrent-cycle pauses; SerialGC has no concurrent cycles ("-"). */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "G1|        0.0      1024.0         0.0       516.9     329728.0      57344.0     193536.0      18038.5    "
                    + "62912.0    62324.5    8768.0    8512.3      9     0.094     0     0.000     6     0.030     "
                    + "0.124|15|0.124",
            "Serial|     4352.0      4352.0         0.0      4352.0      34944.0       8502.1      87424.0       "
                    + "6881.4     8704.0     8478.8    1088.0     992.5      1     0.020     0     0.000     -         "
                    + "-     0.020|1|0.020"})
    void stopTheWorldPausesAreSummedOverTheCollectors(String gc, String values, long collections, double seconds) {
        GatewayBench.GcPauses pauses = GatewayBench.gcPauses(HEADER, values);
        assertEquals(collections, pauses.collections(), gc);
        assertEquals(seconds, pauses.seconds(), 1e-9, gc);
    }

    @Test
    void theDifferenceIsWhatHappenedBetweenTwoReadings() {
        GatewayBench.GcPauses before = new GatewayBench.GcPauses(15, 0.124);
        GatewayBench.GcPauses after = new GatewayBench.GcPauses(21, 0.160);
        assertEquals(6, after.since(before).collections());
        assertEquals(0.036, after.since(before).seconds(), 1e-9);
    }
}
