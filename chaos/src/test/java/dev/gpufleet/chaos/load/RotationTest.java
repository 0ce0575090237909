package dev.gpufleet.chaos.load;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RotationTest {

    /** Probe results of gateway 0 in order (1 ready, 0 not), with a failure threshold of 3. */
    @ParameterizedTest
    @CsvSource({
            "'',        true",
            "0,         true",
            "00,        true",
            "000,       false",
            "0001,      true",
            "00100,     true",
            "001000,    false",
            "0000001,   true",
    })
    void leavesAfterThreeFailuresInARowAndReturnsAfterOneSuccess(String probes, boolean inRotation) {
        Rotation rotation = new Rotation(2, 3);
        for (char c : probes.toCharArray()) {
            rotation.probed(0, c == '1');
        }
        assertEquals(inRotation, rotation.inRotation(0));
        assertEquals(inRotation ? java.util.List.of(0, 1) : java.util.List.of(1), rotation.members());
    }
}
