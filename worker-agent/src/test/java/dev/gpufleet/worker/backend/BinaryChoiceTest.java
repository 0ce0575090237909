package dev.gpufleet.worker.backend;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

class BinaryChoiceTest {
    private static final String JAR = "/opt/gpufleet/llamacpp-server.jar";
    private static final Optional<String> AGENT_JAVA = Optional.of("/usr/lib/jvm/java-17/bin/java");

    /** The host's PATH as a map name → location, and which files exist. */
    private static BinaryChoice choose(Optional<String> command, Map<String, String> onPath, Optional<String> jar,
                                       Set<String> files, Optional<String> agentJava) {
        return BinaryChoice.choose(new BinaryChoice.Host(command, name -> Optional.ofNullable(onPath.get(name)), jar,
                files::contains, agentJava));
    }

    static Stream<Arguments> choices() {
        Map<String, String> all = Map.of("llama-box", "/usr/bin/llama-box", "llama-server", "/usr/bin/llama-server",
                "llamacpp-server", "/usr/bin/llamacpp-server");
        return Stream.of(
                arguments("configured command wins over everything", Optional.of("java -jar '/x y/server.jar'"), all,
                        Optional.of(JAR), Set.of(JAR), List.of("java", "-jar", "/x y/server.jar")),
                arguments("a blank configured command is unset", Optional.of("  "), all, Optional.empty(), Set.of(),
                        List.of("/usr/bin/llama-box")),
                arguments("llama-box before llama-server", Optional.empty(), all, Optional.empty(), Set.of(),
                        List.of("/usr/bin/llama-box")),
                arguments("llama.cpp's llama-server before llamacpp-server", Optional.empty(),
                        Map.of("llama-server", "/opt/llama.cpp/llama-server", "llamacpp-server", "/b/llamacpp-server"),
                        Optional.of(JAR), Set.of(JAR), List.of("/opt/llama.cpp/llama-server")),
                arguments("llamacpp-server on the PATH before the jar", Optional.empty(),
                        Map.of("llamacpp-server", "/b/llamacpp-server"), Optional.of(JAR), Set.of(JAR),
                        List.of("/b/llamacpp-server")),
                arguments("the jar with the agent's own java", Optional.empty(), Map.of("java", "/usr/bin/java"),
                        Optional.of(JAR), Set.of(JAR), List.of("/usr/lib/jvm/java-17/bin/java", "-jar", JAR)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("choices")
    void picksInOrder(String description, Optional<String> command, Map<String, String> onPath, Optional<String> jar,
                      Set<String> files, List<String> expected) {
        BinaryChoice choice = choose(command, onPath, jar, files, AGENT_JAVA);

        assertTrue(choice.found(), choice.problem());
        assertNull(choice.problem());
        assertEquals(expected, choice.command());
    }

    @Test
    void theJarRunsWithJavaFromThePathWhenTheAgentsOwnIsUnknown() {
        BinaryChoice choice = choose(Optional.empty(), Map.of("java", "/usr/bin/java"), Optional.of(JAR),
                Set.of(JAR), Optional.empty());

        assertEquals(List.of("/usr/bin/java", "-jar", JAR), choice.command());
    }

    @Test
    void nothingFoundNamesWhatToInstall() {
        BinaryChoice choice = choose(Optional.empty(), Map.of(), Optional.empty(), Set.of(), AGENT_JAVA);

        assertFalse(choice.found());
        assertEquals(List.of(), choice.command());
        assertEquals("no llama-box backend on this worker: none of llama-box, llama-server, llamacpp-server is on "
                + "the search path. To fix: install llama-box (or llama.cpp's llama-server) on the PATH, set "
                + "gpufleet.worker.llama-box.command (GPUFLEET_WORKER_LLAMA_BOX_COMMAND) to the command that runs "
                + "it, or set gpufleet.worker.llamacpp-server-jar (GPUFLEET_WORKER_LLAMACPP_SERVER_JAR) to "
                + "llamacpp-server.jar (build it with ./mvnw -pl llamacpp-server package).", choice.problem());
    }

    @Test
    void aConfiguredJarThatDoesNotExistIsNamed() {
        BinaryChoice choice = choose(Optional.empty(), Map.of(), Optional.of(JAR), Set.of(), AGENT_JAVA);

        assertFalse(choice.found());
        assertTrue(choice.problem().contains("gpufleet.worker.llamacpp-server-jar is " + JAR
                + ", which does not exist"), choice.problem());
    }

    @Test
    void anUnclosedQuoteInTheConfiguredCommandIsAProblem() {
        BinaryChoice choice = choose(Optional.of("java -jar 'x.jar"), Map.of(), Optional.empty(), Set.of(),
                AGENT_JAVA);

        assertEquals("gpufleet.worker.llama-box.command cannot be read: the quote ' is not closed in "
                + "'java -jar 'x.jar'", choice.problem());
    }
}
