package dev.gpufleet.worker.identity;

import dev.gpufleet.worker.StateFileException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IdentityStoreTest {
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-26T12:00:00Z"), ZoneOffset.UTC);

    @TempDir
    Path dataDir;

    @Test
    void firstStartCreatesTheFileAndLaterStartsReuseIt() throws Exception {
        Path dir = dataDir.resolve("not/there/yet");
        WorkerIdentity created = IdentityStore.loadOrCreate(dir, Optional.empty(), () -> "gpu-node-1", CLOCK);

        assertEquals("gpu-node-1", created.name());
        UUID.fromString(created.workerId());
        assertTrue(Files.isRegularFile(dir.resolve("identity.json")));

        WorkerIdentity reloaded = IdentityStore.loadOrCreate(dir, Optional.empty(), () -> "renamed-host", CLOCK);
        assertEquals(created, reloaded, "same id, and the stored name beats a changed hostname");
    }

    @Test
    void aConfiguredNameWinsAndIsKeptButTheIdNeverChanges() {
        WorkerIdentity first = IdentityStore.loadOrCreate(dataDir, Optional.empty(), () -> "host-a", CLOCK);

        WorkerIdentity renamed = IdentityStore.loadOrCreate(dataDir, Optional.of(" rack-7 "), () -> "host-a", CLOCK);
        assertEquals(first.workerId(), renamed.workerId());
        assertEquals("rack-7", renamed.name());

        WorkerIdentity later = IdentityStore.loadOrCreate(dataDir, Optional.empty(), () -> "host-a", CLOCK);
        assertEquals(new WorkerIdentity(first.workerId(), "rack-7"), later);
    }

    @Test
    void aBlankConfiguredNameCountsAsUnset() {
        WorkerIdentity identity = IdentityStore.loadOrCreate(dataDir, Optional.of("  "), () -> "host-b", CLOCK);
        assertEquals("host-b", identity.name());
    }

    @Test
    void twoDataDirsAreTwoWorkers() {
        WorkerIdentity a = IdentityStore.loadOrCreate(dataDir.resolve("a"), Optional.empty(), () -> "h", CLOCK);
        WorkerIdentity b = IdentityStore.loadOrCreate(dataDir.resolve("b"), Optional.empty(), () -> "h", CLOCK);
        assertNotEquals(a.workerId(), b.workerId());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "''                                                       | it is empty",
            "'   '                                                    | it is empty",
            "'{\"workerId\": \"0d6f'                                  | not JSON",
            "'[1, 2]'                                                 | not a JSON object",
            "'{\"name\": \"n\"}'                                      | field 'workerId' is missing",
            "'{\"workerId\": \"w-1\", \"name\": \"n\"}'               | workerId 'w-1' is not a UUID",
            "'{\"workerId\": \"0d6f6a4e-1c47-4a43-9a43-4e9d3a0e6a11\"}' | field 'name' is missing",
            "'{\"workerId\": \"0d6f6a4e-1c47-4a43-9a43-4e9d3a0e6a11\", \"name\": 7}' | field 'name' is missing",
    })
    void aCorruptFileIsAClearErrorNamingTheFile(String content, String reason) throws Exception {
        Path file = dataDir.resolve("identity.json");
        Files.writeString(file, content);

        StateFileException e = assertThrows(StateFileException.class,
                () -> IdentityStore.loadOrCreate(dataDir, Optional.of("x"), () -> "h", CLOCK));

        assertTrue(e.getMessage().startsWith("The worker identity file " + file + " is unusable: "), e.getMessage());
        assertTrue(e.getMessage().contains(reason), e.getMessage());
        assertTrue(e.getMessage().contains("delete it to register this host as a new worker"), e.getMessage());
        assertEquals(0, e.getStackTrace().length, "one readable line, no stack from inside the parser");
        assertEquals(content, Files.readString(file), "a corrupt file is left for the operator to inspect");
    }

    @Test
    void aDataDirThatCannotBeCreatedIsAClearError() throws Exception {
        Path blocker = dataDir.resolve("blocker");
        Files.writeString(blocker, "a file where the data dir should be");

        StateFileException e = assertThrows(StateFileException.class,
                () -> IdentityStore.loadOrCreate(blocker.resolve("worker"), Optional.empty(), () -> "h", CLOCK));

        assertTrue(e.getMessage().contains(blocker.resolve("worker").resolve("identity.json").toString()),
                e.getMessage());
        assertTrue(e.getMessage().contains("GPUFLEET_WORKER_DATA_DIR"), e.getMessage());
        assertFalse(Files.exists(blocker.resolve("worker")));
    }
}
