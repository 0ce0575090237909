package dev.gpufleet.worker.download;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The pure parts: listings, file selection, progress throttling, the disk check. */
class SelectionAndThrottleTest {

    private static String fixture(String name) throws IOException {
        try (InputStream in = SelectionAndThrottleTest.class.getResourceAsStream("/hub/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void recordedListingsSelectTheRightFiles() throws Exception {
        record Case(String fixture, boolean huggingFace, String pattern, String model, List<String> files,
                    String problemStart) {
        }
        List<Case> cases = List.of(
                new Case("hf-qwen2.5-0.5b-instruct-gguf.json", true, "*q4_k_m.gguf",
                        "qwen2.5-0.5b-instruct-q4_k_m.gguf", List.of("qwen2.5-0.5b-instruct-q4_k_m.gguf"), null),
                new Case("hf-qwen2.5-0.5b-instruct-gguf.json", true, "*Q4_K_M*", "qwen2.5-0.5b-instruct-q4_k_m.gguf",
                        List.of("qwen2.5-0.5b-instruct-q4_k_m.gguf"), null),
                new Case("hf-qwen2.5-7b-instruct-gguf-split.json", true, "*q8_0*.gguf",
                        "qwen2.5-7b-instruct-q8_0-00001-of-00003.gguf",
                        List.of("qwen2.5-7b-instruct-q8_0-00001-of-00003.gguf",
                                "qwen2.5-7b-instruct-q8_0-00002-of-00003.gguf",
                                "qwen2.5-7b-instruct-q8_0-00003-of-00003.gguf"), null),
                new Case("hf-qwen2.5-7b-instruct-gguf-split.json", true, "qwen2.5-7b-instruct-q4_k_m-00002-of-00002.gguf",
                        "qwen2.5-7b-instruct-q4_k_m-00001-of-00002.gguf",
                        List.of("qwen2.5-7b-instruct-q4_k_m-00001-of-00002.gguf",
                                "qwen2.5-7b-instruct-q4_k_m-00002-of-00002.gguf"), null),
                new Case("hf-qwen2.5-0.5b-instruct-gguf.json", true, "*q9_k.gguf", null, List.of(),
                        "no file matches '*q9_k.gguf'; the repository has qwen2.5-0.5b-instruct-fp16.gguf, "),
                new Case("ms-qwen2.5-0.5b-instruct-files.json", false, "model.safetensors", "model.safetensors",
                        List.of("model.safetensors"), null));
        for (Case c : cases) {
            List<RemoteFile> listing = c.huggingFace() ? HubListing.huggingFace(fixture(c.fixture()), c.fixture())
                    : HubListing.modelScope(fixture(c.fixture()), c.fixture());
            FileSelection selection = FileSelection.select(c.pattern(), listing);
            String name = c.fixture() + " " + c.pattern();
            if (c.problemStart() != null) {
                assertTrue(selection.problem().startsWith(c.problemStart()), name + ": " + selection.problem());
                continue;
            }
            assertNull(selection.problem(), name);
            assertEquals(c.model(), selection.model().path(), name);
            assertEquals(c.files(), selection.files().stream().map(RemoteFile::path).toList(), name);
        }
    }

    @Test
    void checksumsComeFromLfsOnHuggingFaceAndSha256OnModelScope() throws Exception {
        List<RemoteFile> hf = HubListing.huggingFace(fixture("hf-qwen2.5-0.5b-instruct-gguf.json"), "hf");
        RemoteFile fp16 = hf.stream().filter(f -> f.path().equals("qwen2.5-0.5b-instruct-fp16.gguf")).findFirst()
                .orElseThrow();
        assertEquals(new RemoteFile("qwen2.5-0.5b-instruct-fp16.gguf", 1271669760L,
                "6eb923e7d26e9cea28811e1a8e852009b21242fb157b26149d3b188f3a8c8653"), fp16);
        assertNull(hf.stream().filter(f -> f.path().equals("LICENSE")).findFirst().orElseThrow().sha256(),
                "a git blob id is no sha256");
        List<RemoteFile> ms = HubListing.modelScope(fixture("ms-qwen2.5-0.5b-instruct-files.json"), "ms");
        assertNull(ms.get(0).sha256(), "an empty Sha256 is none");
    }

    @Test
    void progressIsReportedAtMostOncePerIntervalAndOnlyAfterAOnePercentStep() {
        record Step(long done, long atMillis, double expected) {
        }
        ProgressThrottle throttle = new ProgressThrottle(Duration.ofSeconds(1));
        List<Step> steps = List.of(
                new Step(0, 0, 0.0),         // the first reading always
                new Step(500, 500, -1),      // too soon
                new Step(500, 1000, 0.5),    // a second later, 50 % more
                new Step(505, 2500, -1),     // late enough, but only 0.5 % more
                new Step(520, 2600, 0.52),
                new Step(2000, 3700, 1.0));  // capped at 1
        for (Step step : steps) {
            assertEquals(step.expected(), throttle.next(step.done(), 1000, step.atMillis() * 1_000_000L), 1e-9,
                    step.toString());
        }
    }

    @Test
    void theDiskCheckNamesWhatIsNeededAndWhatIsFree() {
        Path dir = Path.of("/data/models");
        assertNull(DiskCheck.problem(10L << 30, 2L << 30, 12L << 30, dir), "exactly fits");
        assertEquals("not enough free disk for the model: the download needs 10.0 GiB more plus 2.0 GiB kept free "
                + "(gpufleet.worker.download.disk-margin), 12.0 GiB in all, but /data/models has 11.5 GiB free",
                DiskCheck.problem(10L << 30, 2L << 30, (23L << 30) / 2, dir));
        assertEquals("512 B", DiskCheck.size(512));
        assertEquals("1.5 MiB", DiskCheck.size(3L << 19));
    }
}
