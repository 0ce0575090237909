package dev.gpufleet.bench;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The host steal the gateway bench reads from /proc/stat's first line (recorded on the 2-core dev VM, kernel 6.x). */
class HostStealTest {
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "dev VM|cpu  4352743 755 1537067 8004971 13417 0 529517 13769 0 0\\ncpu0 2089638 434 756930 4103391 2515 0 "
                    + "264960 6939 0 0|13769",
            "no steal column (kernels before 2.6.11)|cpu  4352743 755 1537067 8004971 13417 0 529517|0",
            "first line not the total|cpu0 2089638 434 756930 4103391 2515 0 264960 6939 0 0|0",
            "garbled|cpu  1 2 3 4 5 6 7 x 0 0|0",
            "empty|''|0"})
    void stealIsTheEighthValueOfTheTotalLine(String what, String procStat, long ticks) {
        assertEquals(ticks, GatewayBench.hostStealTicks(procStat.replace("\\n", "\n")), what);
    }
}
