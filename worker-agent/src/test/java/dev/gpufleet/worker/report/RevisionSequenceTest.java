package dev.gpufleet.worker.report;

import dev.gpufleet.worker.StateFileException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RevisionSequenceTest {
    private static final Instant NOW = Instant.parse("2026-11-26T12:00:00Z");

    @TempDir
    Path dataDir;

    @Test
    void aFreshDataDirStartsAtTheClockAndCountsUpByOne() {
        RevisionSequence revisions = RevisionSequence.open(dataDir, Clock.fixed(NOW, ZoneOffset.UTC));

        assertEquals(NOW.toEpochMilli() + 1, revisions.next());
        assertEquals(NOW.toEpochMilli() + 2, revisions.next());
    }

    @Test
    void aRestartContinuesAboveEverythingUsedEvenWhenTheClockWentBack() {
        RevisionSequence firstRun = RevisionSequence.open(dataDir, Clock.fixed(NOW, ZoneOffset.UTC));
        long last = 0;
        for (int i = 0; i < RevisionSequence.BLOCK + 5; i++) {
            long revision = firstRun.next();
            assertTrue(revision > last);
            last = revision;
        }

        Clock anHourEarlier = Clock.fixed(NOW.minusSeconds(3600), ZoneOffset.UTC);
        RevisionSequence secondRun = RevisionSequence.open(dataDir, anHourEarlier);
        long first = secondRun.next();

        assertTrue(first > last, first + " must be above " + last);
        assertTrue(secondRun.next() > first);
    }

    @Test
    void theFileIsWrittenOncePerBlockNotPerBeat() throws Exception {
        RevisionSequence revisions = RevisionSequence.open(dataDir, Clock.fixed(NOW, ZoneOffset.UTC));
        Path file = dataDir.resolve(RevisionSequence.FILE_NAME);

        long first = revisions.next();
        String reserved = Files.readString(file).trim();
        assertEquals(String.valueOf(first + RevisionSequence.BLOCK - 1), reserved);
        for (int i = 1; i < RevisionSequence.BLOCK; i++) {
            revisions.next();
        }
        assertEquals(reserved, Files.readString(file).trim());
        revisions.next();
        assertEquals(String.valueOf(first + 2 * RevisionSequence.BLOCK - 1), Files.readString(file).trim());
    }

    @Test
    void aCorruptFileIsAClearErrorNamingTheFile() throws Exception {
        Path file = dataDir.resolve(RevisionSequence.FILE_NAME);
        Files.writeString(file, "twelve\n");

        StateFileException e = assertThrows(StateFileException.class,
                () -> RevisionSequence.open(dataDir, Clock.systemUTC()));

        assertTrue(e.getMessage().startsWith("The heartbeat revision file " + file
                + " is unusable: 'twelve' is not a non-negative integer. Delete it"), e.getMessage());
    }

    @Test
    void aReservationThatCannotBeWrittenUsesUpNoRevision() throws Exception {
        Path gone = dataDir.resolve("gone");
        Files.createDirectories(gone);
        RevisionSequence revisions = RevisionSequence.open(gone, Clock.fixed(NOW, ZoneOffset.UTC));
        Files.delete(gone);

        assertThrows(UncheckedIOException.class, revisions::next);
        Files.createDirectories(gone);
        assertEquals(NOW.toEpochMilli() + 1, revisions.next());
    }
}
