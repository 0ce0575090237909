package dev.gpufleet.e2e.docs;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.provider.Arguments;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * docs/configuration.md names every {@code gpufleet.*} setting the code reads, and documents none the code does
 * not read: a new setting without its line, or a renamed one, fails here.
 */
class ConfigurationReferenceTest {
    static final Path ROOT = Path.of(System.getProperty("gpufleet.root", ".."));

    @Test
    void everySettingInTheCodeIsInTheReferenceAndViceVersa() throws Exception {
        Set<String> inCode = ConfigKeys.inRepository(ROOT);
        assertTrue(inCode.size() > 40, "the scan found too few settings to be working: " + inCode);
        Set<String> documented = new TreeSet<>(ConfigKeys.documented(
                Files.readString(ROOT.resolve("docs/configuration.md"))));
        documented.removeIf(k -> !k.startsWith(ConfigKeys.PREFIX));

        assertEquals(java.util.List.of(), ConfigKeys.missing(inCode, documented),
                "settings the code reads that docs/configuration.md's tables do not name");
        assertEquals(java.util.List.of(), ConfigKeys.missing(documented, inCode),
                "settings docs/configuration.md names that no code reads");
    }

    static Stream<Arguments> sources() {
        return Stream.of(
                Arguments.of("@ConfigProperty(name = \"gpufleet.a-b\") String x;", Set.of("gpufleet.a-b")),
                Arguments.of("@ConfigProperty(name = \"quarkus.http.port\") int p;", Set.of()),
                Arguments.of("@Scheduled(every = \"${gpufleet.s.every:5s}\")", Set.of("gpufleet.s.every")),
                Arguments.of("""
                        /** not {@code interface Fake { int nope(); }} */
                        @ConfigMapping(prefix = "gpufleet.m")
                        public interface M {
                            String KEY = "x";
                            @WithDefault("http://127.0.0.1:1") // a URL is no comment
                            java.net.URI schedulerUrl();
                            Optional<String> name();
                            @WithName("renamed") int other();
                            Group huggingface();
                            Map<String, String> labels();
                            default String derived() { return name().orElse("x"); }
                            interface Group {
                                Optional<String> endpoint();
                                Inner inner();
                            }
                            interface Inner {
                                boolean deepFlag();
                            }
                        }
                        """, Set.of("gpufleet.m.scheduler-url", "gpufleet.m.name", "gpufleet.m.renamed",
                        "gpufleet.m.huggingface.endpoint", "gpufleet.m.huggingface.inner.deep-flag",
                        "gpufleet.m.labels")));
    }

    @ParameterizedTest
    @MethodSource("sources")
    void findsTheKeysInSource(String source, Set<String> expected) {
        assertEquals(new TreeSet<>(expected), ConfigKeys.inJava(source));
    }

    @Test
    void readsPropertiesFileKeysWithProfiles() {
        assertEquals(Set.of("gpufleet.a", "gpufleet.b-c"),
                ConfigKeys.inProperties("gpufleet.a=1\n%dev.gpufleet.b-c=2\nquarkus.x=3\n# gpufleet.c=4\n"));
    }

    @Test
    void documentedKeysAreTheTablesFirstColumn() {
        assertEquals(Set.of("gpufleet.x", "kafka.bootstrap.servers"), ConfigKeys.documented("""
                Reads `gpufleet.models` from the start.
                | `gpufleet.x` | `GPUFLEET_X` | `1` | see `gpufleet.y` |
                | `kafka.bootstrap.servers` | `KAFKA_BOOTSTRAP_SERVERS` | |
                """));
    }
}
