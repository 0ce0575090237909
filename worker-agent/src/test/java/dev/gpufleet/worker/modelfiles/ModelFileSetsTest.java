package dev.gpufleet.worker.modelfiles;

import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.InstanceObserved;
import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.LaunchPlan;
import dev.gpufleet.events.ModelFileSet;
import dev.gpufleet.events.ModelSource;
import dev.gpufleet.worker.backend.BinaryChoice;
import dev.gpufleet.worker.download.DownloadSettings;
import dev.gpufleet.worker.download.DownloadTracker;
import dev.gpufleet.worker.download.Downloader;
import dev.gpufleet.worker.download.FakeHub;
import dev.gpufleet.worker.download.Hub;
import dev.gpufleet.worker.instances.BackendSupervisor;
import dev.gpufleet.worker.instances.Instances;
import dev.gpufleet.worker.instances.SupervisorSettings;
import dev.gpufleet.worker.testing.StandIns;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.gpufleet.worker.instances.Instances.ME;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The model file sets of a real agent core: the downloader fetching from the stand-in hub, the supervisor running a
 * stand-in llama-box on the files; what the report says while they arrive and while an instance uses them, a delete
 * refused while in use and done after, and the low-disk removal on real directories.
 */
class ModelFileSetsTest {
    private static final String REPO = "gpufleet/files-GGUF";
    private static final String FILE = "files-q4_k_m.gguf";

    @TempDir
    Path dir;

    private Path dataDir;
    private Path models;
    private FakeHub hub;
    private Downloader downloader;
    private BackendSupervisor supervisor;
    private DownloadTracker tracker;
    private ModelFileSets sets;

    @BeforeEach
    void setUp() throws Exception {
        dataDir = Files.createDirectories(dir.resolve("data"));
        models = dataDir.resolve("models");
        hub = new FakeHub();
        tracker = new DownloadTracker();
        sets = new ModelFileSets(models, ME, tracker, Clock.systemUTC());
    }

    @AfterEach
    void tearDown() throws Exception {
        if (supervisor != null) {
            supervisor.close();
            downloader.close();
        }
        hub.close();
    }

    private void startAgent(List<InstanceObserved> sink) throws Exception {
        Path binary = StandIns.install(dir.resolve("bin"), "llama-box");
        downloader = new Downloader(new DownloadSettings(models, Hub.huggingFace(hub.endpoint(), Optional.empty()),
                Hub.modelScope(hub.endpoint(), Optional.empty()), 2, 0, Duration.ofSeconds(5),
                Duration.ofSeconds(30), 3, Duration.ofMillis(50), Duration.ofMillis(100)), tracker);
        supervisor = new BackendSupervisor(new SupervisorSettings(ME, dataDir, "127.0.0.1", "26160-26169", List.of(),
                () -> new BinaryChoice(List.of(binary.toString()), null), Duration.ofSeconds(30),
                Duration.ofMillis(300), Duration.ofMillis(300), Duration.ofSeconds(3)), sink::add, Clock.systemUTC(),
                downloader);
        supervisor.start();
    }

    private ModelFileSet onlySet() {
        List<ModelFileSet> all = sets.report(supervisor.modelSources()).sets();
        assertEquals(1, all.size(), all.toString());
        return all.get(0);
    }

    @Test
    void aDownloadIsReportedWithProgressThenReadyInUseAndIsDeletedOnlyOnceNoInstanceUsesIt() throws Exception {
        byte[] model = FakeHub.standInModel(300_000, "healthy-after-ms=0");
        hub.put(REPO, FILE, model).bytesPer10Ms = 4_096;
        List<InstanceObserved> sink = new CopyOnWriteArrayList<>();
        startAgent(sink);
        Instant before = Instant.now().minusSeconds(2);
        LaunchPlan plan = new LaunchPlan("llama-box", null,
                new ModelSource(ModelSource.HUGGINGFACE, REPO, FILE, null, null, null, null), List.of(), Map.of(),
                List.of("llm"));
        InstanceChanged instance = Instances.instance("mf", ME, InstanceState.SCHEDULED, 0, plan);
        supervisor.accept(Envelope.of(instance, 1, Clock.systemUTC()));

        ModelFileSet downloading = await().atMost(Duration.ofSeconds(30)).until(this::onlySet,
                s -> s.state() == ModelFileSet.State.DOWNLOADING && s.progressBytes() > 0);
        assertEquals(model.length, downloading.totalBytes());
        assertEquals(List.of("mf"), downloading.instances());
        assertEquals(List.of(FILE), downloading.files(), "the part file under its final name");
        await().atMost(Duration.ofSeconds(30)).until(() -> sink.stream()
                .anyMatch(o -> o.state() == InstanceState.RUNNING));

        ModelFileSets.Report report = sets.report(supervisor.modelSources());
        ModelFileSet ready = report.sets().get(0);
        Path repoDir = models.resolve("huggingface").resolve(REPO);
        // the stand-in llama-box writes what it was started with beside the model: those files count too
        assertEquals(new ModelFileSet(ready.id(), ModelSource.HUGGINGFACE, REPO, ready.files(), repoDir.toString(),
                ready.sizeBytes(), ModelFileSet.State.READY, null, null, null, ready.lastUsedAt(), List.of("mf")),
                ready);
        assertTrue(ready.files().contains(FILE) && ready.sizeBytes() > model.length, ready.toString());
        assertTrue(ready.id().startsWith(ME + ":") && ready.id().length() == ME.length() + 17, ready.id());
        assertTrue(ready.lastUsedAt().isAfter(before), "in use now: " + ready.lastUsedAt());
        assertEquals(ready.sizeBytes(), report.directory().usedBytes());
        assertTrue(report.directory().freeBytes() > 0 && report.directory().totalBytes() >= report.directory()
                .freeBytes(), report.directory().toString());

        ModelFileSets.Deletion refused = sets.delete(ready.id(), supervisor.modelSources());
        assertEquals(ModelFileSets.Outcome.IN_USE, refused.outcome());
        assertTrue(refused.message().contains("used by instance(s) mf"), refused.message());
        assertTrue(Files.isRegularFile(repoDir.resolve(FILE)));

        supervisor.tombstone("mf");
        await().atMost(Duration.ofSeconds(10)).until(() -> supervisor.modelSources().isEmpty());
        assertEquals(List.of(), onlySet().instances());

        assertEquals(ModelFileSets.Outcome.DELETED, sets.delete(ready.id(), supervisor.modelSources()).outcome());
        assertFalse(Files.exists(repoDir), "the repository's directory is gone");
        assertEquals(List.of(), sets.report(Map.of()).sets());
        assertEquals(ModelFileSets.Outcome.NOT_FOUND, sets.delete(ready.id(), Map.of()).outcome());
    }

    @Test
    void aLowDiskRemovesOnlyDownloadedSetsUnusedForLongEnough() throws Exception {
        Path stale = write(models.resolve("huggingface/old/stale-GGUF/m.gguf"), 5_000);
        Path fresh = write(models.resolve("modelscope/new/fresh/model.safetensors"), 7_000);
        Path usedButOld = write(models.resolve("huggingface/busy/used-GGUF/u.gguf"), 3_000);
        Path local = write(dir.resolve("own/local.gguf"), 1_000);
        FileTime fourDaysAgo = FileTime.from(Instant.now().minus(Duration.ofDays(4)));
        Files.setLastModifiedTime(stale.getParent(), fourDaysAgo);
        Files.setLastModifiedTime(usedButOld.getParent(), fourDaysAgo);
        Files.setLastModifiedTime(local, fourDaysAgo);
        Map<String, ModelSource> inUse = Map.of("busy", new ModelSource(ModelSource.HUGGINGFACE, "busy/used-GGUF",
                "u.gguf", null, null, null, null), "own", ModelSource.localPath(local.toString()));

        List<ModelFileSet> listed = sets.report(inUse).sets();
        assertEquals(4, listed.size(), listed.toString());
        ModelFileSet localSet = listed.stream().filter(s -> !s.downloaded()).findFirst().orElseThrow();
        assertEquals(new ModelFileSet(localSet.id(), ModelSource.LOCAL_PATH, null, List.of(), local.toString(), 1_000,
                ModelFileSet.State.READY, null, null, null, localSet.lastUsedAt(), List.of("own")), localSet);
        assertEquals(ModelFileSets.Outcome.NOT_DOWNLOADED, sets.delete(localSet.id(), inUse).outcome());
        ModelFileSet busy = listed.stream().filter(s -> s.repo() != null && s.repo().startsWith("busy/"))
                .findFirst().orElseThrow();
        assertEquals(ModelFileSets.Outcome.IN_USE, sets.delete(busy.id(), inUse).outcome());

        List<String> removed = sets.evict(inUse, Long.MAX_VALUE, Duration.ofHours(24));

        assertEquals(1, removed.size(), removed.toString());
        assertFalse(Files.exists(stale.getParent()), "the stale set is gone");
        assertFalse(Files.exists(stale.getParent().getParent()), "with its owner's empty directory");
        assertTrue(Files.exists(fresh) && Files.exists(usedButOld) && Files.exists(local));
        assertEquals(List.of(), sets.evict(inUse, 0, Duration.ofHours(24)), "min-free 0 removes nothing");
    }

    private static Path write(Path file, int bytes) throws Exception {
        Files.createDirectories(file.getParent());
        Files.write(file, new byte[bytes]);
        return file;
    }
}
