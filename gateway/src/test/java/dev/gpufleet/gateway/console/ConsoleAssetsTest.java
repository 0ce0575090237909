package dev.gpufleet.gateway.console;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConsoleAssetsTest {
    private static final Path SOURCES = Path.of("src/main/resources/console");

    private static SortedMap<String, byte[]> files(String... nameAndContent) {
        SortedMap<String, byte[]> files = new TreeMap<>();
        for (int i = 0; i < nameAndContent.length; i += 2) {
            files.put(nameAndContent[i], nameAndContent[i + 1].getBytes(StandardCharsets.UTF_8));
        }
        return files;
    }

    @Test
    void theIndexNamesTheVersionThatEveryAssetIsServedUnder() {
        ConsoleAssets assets = ConsoleAssets.of(files("index.html", "<script src=\"/console/@VERSION@/app.js\">",
                "app.js", "import './pages/a.js';", "pages/a.js", "export {};"));
        assertTrue(assets.version().matches("[0-9a-f]{12}"), assets.version());
        assertEquals("<script src=\"/console/" + assets.version() + "/app.js\">",
                new String(assets.index().body(), StandardCharsets.UTF_8));
        assertEquals("import './pages/a.js';", new String(assets.asset("app.js").orElseThrow().body(),
                StandardCharsets.UTF_8));
        assertTrue(assets.asset("pages/a.js").isPresent());
        assertFalse(assets.asset("index.html").isPresent(), "the page is served at / only");
        assertFalse(assets.asset("../application.properties").isPresent());
    }

    @Test
    void anyChangeToAnyFileIsANewVersion() {
        String base = ConsoleAssets.of(files("index.html", "i", "app.js", "a")).version();
        List<SortedMap<String, byte[]>> changed = List.of(
                files("index.html", "i", "app.js", "b"),
                files("index.html", "j", "app.js", "a"),
                files("index.html", "i", "app2.js", "a"),
                files("index.html", "i", "app.js", "a", "x.css", ""),
                // the same bytes split differently between two files
                files("index.html", "i", "app.js", "", "b.js", "a"));
        for (SortedMap<String, byte[]> files : changed) {
            assertNotEquals(base, ConsoleAssets.of(files).version(), files.keySet().toString());
        }
        assertEquals(base, ConsoleAssets.of(files("index.html", "i", "app.js", "a")).version(), "stable");
    }

    @Test
    void contentTypesByExtension() {
        Map<String, String> expected = Map.of(
                "index.html", "text/html; charset=utf-8",
                "app.js", "text/javascript; charset=utf-8",
                "pages/models.js", "text/javascript; charset=utf-8",
                "console.css", "text/css; charset=utf-8",
                "icon.svg", "image/svg+xml",
                "shot.png", "image/png",
                "README", "application/octet-stream");
        expected.forEach((name, type) -> assertEquals(type, ConsoleAssets.contentType(name), name));
    }

    @Test
    void withoutAnIndexOrWithAMissingFileTheGatewayDoesNotStart() {
        IllegalArgumentException noIndex = assertThrows(IllegalArgumentException.class,
                () -> ConsoleAssets.of(files("app.js", "a")));
        assertTrue(noIndex.getMessage().contains("index.html"), noIndex.getMessage());
        Map<String, String> jar = Map.of("c/files.txt", "# comment\nindex.html\n\napp.js\n", "c/index.html", "i");
        IllegalStateException missing = assertThrows(IllegalStateException.class, () -> ConsoleAssets.load("c",
                path -> jar.containsKey(path) ? new ByteArrayInputStream(jar.get(path).getBytes()) : null));
        assertTrue(missing.getMessage().contains("c/app.js"), missing.getMessage());
    }

    /** files.txt names every file of the folder, and nothing else; together they stay far below 300 KB. */
    @Test
    void theManifestListsExactlyTheConsolesFilesAndTheyAreSmall() throws IOException {
        List<String> listed = Files.readAllLines(SOURCES.resolve(ConsoleAssets.MANIFEST)).stream()
                .map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).sorted().toList();
        List<String> present;
        try (Stream<Path> walk = Files.walk(SOURCES)) {
            present = walk.filter(Files::isRegularFile).map(p -> SOURCES.relativize(p).toString().replace('\\', '/'))
                    .filter(name -> !name.equals(ConsoleAssets.MANIFEST)).sorted().toList();
        }
        assertEquals(present, listed);
        ConsoleAssets assets = ConsoleAssets.load("console", ConsoleAssetsTest.class.getClassLoader()::getResourceAsStream);
        assertTrue(assets.totalBytes() < 200_000, "the console's files weigh " + assets.totalBytes() + " bytes");
    }
}
