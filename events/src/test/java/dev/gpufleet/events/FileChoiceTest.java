package dev.gpufleet.events;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The one file-choice rule of the registry's analysis and the agent's download. */
class FileChoiceTest {
    static final List<String> REPO = List.of("README.md", "model-Q4_K_M.gguf", "mmproj-Q4_K_M.gguf",
            "big-Q8_0-00002-of-00002.gguf", "big-Q8_0-00001-of-00002.gguf", "sub/model-q4_k_m.gguf");

    @Test
    void aGlobMatchesAnyCaseAndTheModelBeatsItsProjector() {
        List<String> matches = FileChoice.matching("*q4_k_m.gguf", REPO);
        assertEquals(List.of("mmproj-Q4_K_M.gguf", "model-Q4_K_M.gguf", "sub/model-q4_k_m.gguf"), matches);
        assertEquals("model-Q4_K_M.gguf", FileChoice.pick(matches));
        assertEquals("mmproj-Q4_K_M.gguf", FileChoice.pick(FileChoice.matching("mmproj*", REPO)),
                "only projectors match: the projector");
    }

    @Test
    void aSplitModelIsNamedByItsFirstPart() {
        assertEquals("big-Q8_0-00001-of-00002.gguf", FileChoice.pick(FileChoice.matching("big*", REPO)));
    }

    @Test
    void classesAndBracketsThatCloseNothing() {
        assertTrue(FileChoice.glob("model-Q[0-9]_K_M.gguf").matcher("model-Q4_K_M.gguf").matches());
        assertTrue(FileChoice.glob("model-[!x]*").matcher("model-Q4_K_M.gguf").matches());
        assertTrue(FileChoice.glob("a[]b").matcher("a[]b").matches(), "[] is literal, not an invalid class");
        assertTrue(FileChoice.glob("a[b").matcher("a[b").matches());
    }

    @Test
    void messagesNameTheGgufFilesFirst() {
        assertEquals("big-Q8_0-00001-of-00002.gguf, big-Q8_0-00002-of-00002.gguf and 3 more",
                FileChoice.sample(REPO, 2));
        assertEquals("no files", FileChoice.sample(List.of(), 8));
    }
}
