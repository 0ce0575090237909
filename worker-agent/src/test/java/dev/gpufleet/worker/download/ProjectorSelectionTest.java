package dev.gpufleet.worker.download;

import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.LaunchPlan;
import dev.gpufleet.events.ModelSource;
import dev.gpufleet.events.ResourceClaim;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The seed's {@code --mmproj} shorthand: a path relative to the model's source is downloaded from the source and
 * passed as its path on the worker; without one, the default projector by the rule the registry uses too.
 */
class ProjectorSelectionTest {
    static final List<RemoteFile> LISTING = List.of(new RemoteFile("model-Q4_K_M.gguf", 100, null),
            new RemoteFile("mmproj-model-f16.gguf", 10, null), new RemoteFile("mmproj-model-F32.gguf", 20, null),
            new RemoteFile("vision/projector-mmproj-q8.gguf", 5, null));

    @Test
    void withoutAUserProjectorTheHigherPrecisionOneBesideTheModel() {
        FileSelection s = FileSelection.select("*Q4_K_M.gguf", LISTING, null);
        assertEquals("mmproj-model-F32.gguf", s.mmproj().path());
    }

    @Test
    void aRelativeMmprojIsAFileOfTheRepositoryDownloadedInsteadOfTheDefault() {
        FileSelection s = FileSelection.select("*Q4_K_M.gguf", LISTING, "vision/projector-mmproj-q8.gguf");
        assertNull(s.problem());
        assertEquals("vision/projector-mmproj-q8.gguf", s.mmproj().path());
        assertEquals(List.of("model-Q4_K_M.gguf", "vision/projector-mmproj-q8.gguf"),
                s.files().stream().map(RemoteFile::path).toList());
    }

    @Test
    void anAbsoluteMmprojIsTheWorkersOwnFileSoNoProjectorIsDownloaded() {
        FileSelection s = FileSelection.select("*Q4_K_M.gguf", LISTING, "/opt/proj/mmproj.gguf");
        assertNull(s.mmproj());
        assertEquals(List.of("model-Q4_K_M.gguf"), s.files().stream().map(RemoteFile::path).toList());
    }

    @Test
    void aRelativeMmprojTheRepositoryLacksIsSaid() {
        String problem = FileSelection.select("*Q4_K_M.gguf", LISTING, "vision/other.gguf").problem();
        assertEquals(true, problem.startsWith("--mmproj names vision/other.gguf, which the repository does not "
                + "have; it has "), problem);
        assertEquals(true, problem.contains("mmproj-model-F32.gguf"), problem);
    }

    @Test
    void theDownloadedProjectorReplacesTheRelativePathInTheLaunch() {
        LaunchPlan plan = new LaunchPlan("llama-box", null, new ModelSource("huggingface", "a/b", "*Q4_K_M.gguf",
                null, null, null, null), List.of("--mmproj", "vision/projector-mmproj-q8.gguf", "-c", "2048"),
                Map.of(), List.of("llm"));
        InstanceChanged instance = new InstanceChanged("i", "n", "m", "mn", "w", "wn", List.of(), List.of(),
                new ResourceClaim(0, Map.of()), InstanceState.SCHEDULED, null, null, 0, plan);
        InstanceChanged local = ModelFiles.withLocalFiles(instance, new ModelFiles.Prepared(
                Path.of("/data/models/a/b/model-Q4_K_M.gguf"),
                Path.of("/data/models/a/b/vision/projector-mmproj-q8.gguf")));
        assertEquals(List.of("-c", "2048", "--mmproj", "/data/models/a/b/vision/projector-mmproj-q8.gguf"),
                local.launchPlan().backendParameters());
    }
}
