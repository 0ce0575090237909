package dev.gpufleet.worker.processes;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PidFilesTest {
    @TempDir
    Path dir;

    @Test
    void namesKeepOnlySafeCharacters() {
        assertEquals("a_b_c.d-e_f.pid", PidFiles.name("a/b c.d-e_f", ""));
        assertEquals("i-1.prelude.pid", PidFiles.name("i-1", ".prelude"));
        assertEquals("..__", PidFiles.safeName("../\u00e9"));
    }

    @Test
    void writtenFilesAreListedWithTheirLeftoverAndGarbleIsListedEmpty() throws Exception {
        PidFiles files = new PidFiles(dir.resolve("backends"));
        Leftover leftover = new Leftover(4242, 1_700_000_000_000L, 26140, 2, 512, "i-1");

        files.write("i-1.pid", leftover);
        Files.writeString(dir.resolve("backends").resolve("garbled.pid"), "not a pid file\n");
        Files.writeString(dir.resolve("backends").resolve("other.txt"), "4242 1\n");

        List<PidFiles.Recorded> listed = files.list().stream()
                .sorted(Comparator.comparing(PidFiles.Recorded::name)).toList();
        assertEquals(List.of(new PidFiles.Recorded(files.file("garbled.pid"), Optional.empty()),
                new PidFiles.Recorded(files.file("i-1.pid"), Optional.of(leftover))), listed);
    }

    @Test
    void deletingIsQuietAndAMissingDirectoryListsNothing() throws Exception {
        PidFiles files = new PidFiles(dir.resolve("none"));
        assertTrue(files.list().isEmpty());
        files.delete("never-written.pid");

        files.write("x.pid", new Leftover(1, 2, 3, 0, 0, "x"));
        files.delete("x.pid");
        assertFalse(Files.exists(files.file("x.pid")));
    }
}
