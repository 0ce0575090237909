package dev.gpufleet.worker.proxy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

class BackendKeyCheckTest {
    private static final BackendKeyCheck CHECK = new BackendKeyCheck(List.of("gpf-current", "gpf-previous"));

    @ParameterizedTest(name = "[{0}] -> {1}")
    @CsvSource(delimiter = '|', nullValues = "NULL", value = {
            "Bearer gpf-current      | true",
            "Bearer gpf-previous     | true",
            "bearer gpf-current      | true",
            "Bearer gpf-current      | true",
            "Bearer  gpf-current     | true",
            "NULL                    | false",
            "''                      | false",
            "Bearer                  | false",
            "Bearer gpf-curren       | false",
            "Bearer gpf-currentx     | false",
            "Basic Z3BmLWN1cnJlbnQ=  | false",
            "gpf-current             | false",
            "Bearer gpf-other        | false",
    })
    void acceptsOnlyABearerWithOneOfTheKeys(String authorization, boolean accepted) {
        assertEquals(accepted, CHECK.accepts(authorization));
    }

    @org.junit.jupiter.api.Test
    void needsAKeyAndNeverPrintsOne() {
        assertThrows(IllegalArgumentException.class, () -> new BackendKeyCheck(List.of()));
        assertThrows(IllegalArgumentException.class, () -> new BackendKeyCheck(List.of("")));
        assertFalse(CHECK.toString().contains("gpf-"));
    }
}
