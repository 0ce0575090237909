package dev.gpufleet.worker.instances;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/** How each kind of helper process is named in messages, its pid file and its log. */
class SubordinateNamesTest {
    static Stream<Arguments> names() {
        return Stream.of(
                arguments(new RpcServerPlan.Key("d", 1), "the RPC server of GPU 1", "d GPU 1", "d.gpu1.pid",
                        "d-name.rpc-gpu1.log"),
                arguments(RpcServerPlan.Key.rayWorker("d"), "the Ray worker of instance d", "d Ray worker",
                        "d.ray-worker.pid", "d-name.ray-worker.log"),
                arguments(RpcServerPlan.Key.mindieNode("d"), "the MindIE node of instance d", "d MindIE node",
                        "d.mindie-node.pid", "d-name.mindie-node.log"),
                arguments(new RpcServerPlan.Key("a/b", 0), "the RPC server of GPU 0", "a/b GPU 0", "a_b.gpu0.pid",
                        "d-name.rpc-gpu0.log"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("names")
    void named(RpcServerPlan.Key key, String described, String shown, String pidFile, String logFile) {
        assertEquals(described, key.describe());
        assertEquals(shown, key.toString());
        assertEquals(pidFile, SubordinateLeftovers.pidFileName(key));
        assertEquals(Path.of("data", "logs", logFile), SubordinateServers.logFile(Path.of("data"), "d-name", key));
    }
}
