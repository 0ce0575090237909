package dev.gpufleet.events;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RevisionsTest {
    @ParameterizedTest(name = "held={0} incoming={1} -> apply={2}")
    @CsvSource(nullValues = "none", value = {
            "none, 1, true",   // never seen: apply
            "1,    2, true",   // next revision
            "1,    9, true",   // gaps are fine: we only ever need the latest whole state
            "5,    5, false",  // redelivery of the same message
            "5,    4, false",  // an older message arriving late
    })
    void appliesOnlyNewerRevisions(Long held, long incoming, boolean apply) {
        assertEquals(apply, Revisions.isNewer(held, incoming));
        if (held != null) {
            assertEquals(apply, Revisions.isNewer(held.longValue(), incoming));
        }
    }
}
