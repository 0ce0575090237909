package dev.gpufleet.cli;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ExitCodesTest {

    @ParameterizedTest(name = "HTTP {0} -> exit {1}")
    @CsvSource({
            "200, 0", "201, 0", "202, 0", "204, 0",
            "400, 2", "422, 2",
            "401, 4", "403, 4",
            "404, 3",
            "409, 1", "429, 1", "500, 1", "502, 1", "503, 1", "504, 1", "301, 1"})
    void anHttpStatusMapsToTheExitStatusItMeans(int status, int exitCode) {
        assertEquals(exitCode, ExitCodes.forHttpStatus(status));
    }
}
