package dev.gpufleet.localstack.launcher;

import dev.gpufleet.localstack.launcher.Leftovers.Kind;
import dev.gpufleet.localstack.launcher.Leftovers.Live;
import dev.gpufleet.localstack.launcher.Leftovers.Recorded;
import dev.gpufleet.localstack.launcher.Leftovers.Verdict;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LeftoversTest {
    static final Path DATA = Path.of("/home/ada/gpufleet/.gpufleet");
    static final Path CLUSTER = DATA.resolve("postgres");
    static final Instant STARTED = Instant.parse("2025-03-01T10:00:00Z");
    static final String PG = "/tmp/embedded-pg/PG-d5b5/bin/postgres";
    static final String JAVA = "/usr/lib/jvm/java-17/bin/java";

    /**
     * Whether the process holding a recorded pid is the one recorded. Columns: kind; the live process (none: no
     * process has the pid) as executable and arguments ('?' unreadable), its start offset from the recorded one in
     * seconds ('?' unknown); whether the file recorded a start time; the verdict.
     */
    @ParameterizedTest(name = "{0} {1} [{2}] +{3}s recorded={4}: {5}")
    @CsvSource(delimiter = '|', value = {
            // the stack's own JVMs: the marker with this data dir
            "STACK_PROCESS | none  |                                                                |   | true  | GONE",
            "STACK_PROCESS | java  | -Xmx384m -Dgpufleet.stack=/home/ada/gpufleet/.gpufleet -jar x  | 0 | true  | SAME",
            "STACK_PROCESS | java  | -Xmx384m -Dgpufleet.stack=/home/ada/gpufleet/.gpufleet -jar x  | 1 | true  | SAME",
            "STACK_PROCESS | java  | -Dgpufleet.stack=/home/ada/gpufleet/.gpufleet -jar x           | 40| true  | OTHER",
            "STACK_PROCESS | java  | -Dgpufleet.stack=/home/ada/other/.gpufleet -jar x             | 0 | true  | OTHER",
            "STACK_PROCESS | java  | -Dgpufleet.stack=/home/ada/gpufleet/.gpufleet/sub -jar x      | 0 | true  | OTHER",
            "STACK_PROCESS | bash  | -c sleep                                                       | 0 | true  | OTHER",
            "STACK_PROCESS | java  | ?                                                              | 0 | true  | UNKNOWN",
            "STACK_PROCESS | java  | -Dgpufleet.stack=/home/ada/gpufleet/.gpufleet -jar x           | ? | true  | UNKNOWN",
            // pid files of launchers that did not record start times: the command line decides
            "STACK_PROCESS | java  | -Dgpufleet.stack=/home/ada/gpufleet/.gpufleet -jar x           | ? | false | SAME",
            "STACK_PROCESS | bash  | -c sleep                                                       | ? | false | OTHER",
            // PostgreSQL: the postgres executable on this cluster directory, started when postmaster.pid says
            "POSTGRES      | none  |                                                                |   | true  | GONE",
            "POSTGRES      | pg    | -D /home/ada/gpufleet/.gpufleet/postgres -p 5432 -F            | 0 | true  | SAME",
            "POSTGRES      | pg    | -D /home/ada/gpufleet/.gpufleet/postgres/ -p 5432              | -1| true  | SAME",
            "POSTGRES      | pg    | -D /home/ada/gpufleet/.gpufleet/postgres -p 5432               | 2 | true  | SAME",
            "POSTGRES      | pg    | -D /home/ada/gpufleet/.gpufleet/postgres -p 5432               | 3 | true  | OTHER",
            "POSTGRES      | pg    | -D /var/lib/postgresql/15/main -p 5432                         | 0 | true  | OTHER",
            "POSTGRES      | pg    | -p 5432                                                        | 0 | true  | OTHER",
            "POSTGRES      | pg    | -D                                                             | 0 | true  | OTHER",
            "POSTGRES      | java  | -D /home/ada/gpufleet/.gpufleet/postgres                       | 0 | true  | OTHER",
            "POSTGRES      | ?     | -D /home/ada/gpufleet/.gpufleet/postgres -p 5432               | 0 | true  | UNKNOWN",
            "POSTGRES      | pg    | ?                                                              | 0 | true  | UNKNOWN",
            "POSTGRES      | pg    | -D /home/ada/gpufleet/.gpufleet/postgres -p 5432               | ? | true  | UNKNOWN",
    })
    void aPidIsOnlyTakenForTheProcessItWasWrittenFor(Kind kind, String executable, String arguments,
                                                    String startOffset, boolean recordedStart, Verdict expected) {
        Recorded recorded = new Recorded(kind, 4242, kind == Kind.POSTGRES ? CLUSTER : DATA,
                recordedStart ? STARTED : null);
        Live live = executable.equals("none") ? null : new Live(
                switch (executable) {
                    case "pg" -> PG;
                    case "java" -> JAVA;
                    case "bash" -> "/usr/bin/bash";
                    default -> null;
                },
                "?".equals(arguments) ? null : List.of(arguments.trim().split("\\s+")),
                "?".equals(startOffset) ? null : STARTED.plusSeconds(Long.parseLong(startOffset.trim())));
        assertEquals(expected, Leftovers.judge(recorded, live));
    }

    @Test
    void readsPostgresLockFile() {
        String file = "32339\n/tmp/fd/data/postgres\n1796665991\n39125\n/tmp\n127.0.0.1\n  2147621    163849\nready   \n";
        assertEquals(Optional.of(new Recorded(Kind.POSTGRES, 32339, CLUSTER, Instant.ofEpochSecond(1796665991))),
                Leftovers.parsePostmasterPid(file, CLUSTER));
        assertEquals(Optional.empty(), Leftovers.parsePostmasterPid("32339\n", CLUSTER));
        assertEquals(Optional.empty(), Leftovers.parsePostmasterPid("x\n/d\n1796665991\n", CLUSTER));
        assertEquals(Optional.empty(), Leftovers.parsePostmasterPid("", CLUSTER));
    }

    @Test
    void theLaunchersPidFileKeepsThePidAndTheStartTime() {
        String content = Leftovers.stackPidFileContent(1234, STARTED);
        assertEquals(Optional.of(new Recorded(Kind.STACK_PROCESS, 1234, DATA, STARTED)),
                Leftovers.parseStackPidFile(content, DATA));
        assertEquals(Optional.of(new Recorded(Kind.STACK_PROCESS, 1234, DATA, null)),
                Leftovers.parseStackPidFile(Leftovers.stackPidFileContent(1234, null), DATA));
        assertEquals(Optional.of(new Recorded(Kind.STACK_PROCESS, 1234, DATA, null)),
                Leftovers.parseStackPidFile("1234", DATA), "written before start times were kept");
        assertEquals(Optional.empty(), Leftovers.parseStackPidFile("", DATA));
        assertEquals(Optional.empty(), Leftovers.parseStackPidFile("1234\nyesterday\n", DATA));
    }

    @Test
    void oneStackPerDataDir(@TempDir Path dataDir) {
        DataDirLock first = DataDirLock.acquire(dataDir);
        IllegalStateException refused = assertThrows(IllegalStateException.class, () -> DataDirLock.acquire(dataDir));
        assertTrue(refused.getMessage().startsWith("Another gpufleet is running on " + dataDir + " (launcher pid "
                + ProcessHandle.current().pid() + ")"), refused.getMessage());
        first.close();
        first.close();
        DataDirLock.acquire(dataDir).close();
    }
}
