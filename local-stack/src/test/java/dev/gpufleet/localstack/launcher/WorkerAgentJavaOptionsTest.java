package dev.gpufleet.localstack.launcher;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class WorkerAgentJavaOptionsTest {
    /** A JVM that does not know -XX:TrimNativeHeapInterval refuses to start: the agent would never come up. */
    @ParameterizedTest
    @CsvSource({"17.0.8+7, false", "17.0.9+9, true", "17.0.15+6-Debian-1deb12u1, true", "21.0.1+12, true",
            "17+35, false"})
    void heapTrimmingOnlyWhereTheJvmHasIt(String version, boolean trims) {
        List<String> options = LocalStack.workerAgentJavaOptions(Runtime.Version.parse(version));
        assertEquals(trims, options.contains("-XX:TrimNativeHeapInterval=30000"), version);
        assertEquals(LocalStack.WORKER_AGENT_JAVA_OPTIONS.size() - (trims ? 0 : 1), options.size());
    }
}
