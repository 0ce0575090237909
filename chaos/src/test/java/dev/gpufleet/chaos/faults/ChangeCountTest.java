package dev.gpufleet.chaos.faults;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ChangeCountTest {

    @ParameterizedTest(name = "asked {0}, got {1}: lost {2}, doubled {3}")
    @CsvSource({
            " 1,  1, 0, 0",
            " 1,  0, 1, 0",
            " 1,  2, 0, 1",
            " 1, -1, 2, 0",
            "-1, -1, 0, 0",
            "-1,  0, 1, 0",
            "-1, -2, 0, 1",
            " 0,  0, 0, 0",
            " 0,  1, 0, 1",
            " 0, -1, 1, 0",
    })
    void shortOfTheChangeIsLostPastItIsDoubled(int expected, int net, int lost, int doubled) {
        assertEquals(new ChangeCount(lost, doubled), ChangeCount.of(expected, net));
    }
}
