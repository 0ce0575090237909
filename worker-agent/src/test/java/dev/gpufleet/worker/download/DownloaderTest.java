package dev.gpufleet.worker.download;

import dev.gpufleet.events.ModelSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The downloader against a local server that behaves like the hubs: real HTTP, real files. */
class DownloaderTest {
    private static final String REPO = "Qwen/Qwen2.5-0.5B-Instruct-GGUF";
    private static final String FILE = "qwen2.5-0.5b-instruct-q4_k_m.gguf";
    private static final String TOKEN = "hf_secret_token_do_not_log";

    @TempDir
    Path dir;

    private FakeHub hub;
    private Downloader downloader;

    @BeforeEach
    void startHub() throws Exception {
        hub = new FakeHub();
    }

    @AfterEach
    void stop() {
        if (downloader != null) {
            downloader.close();
        }
        hub.close();
    }

    private Downloader downloader(long diskMargin, Duration stallTimeout) {
        downloader = new Downloader(new DownloadSettings(dir.resolve("models"),
                Hub.huggingFace(hub.endpoint(), Optional.of(TOKEN)), Hub.modelScope(hub.endpoint(), Optional.empty()),
                2, diskMargin, Duration.ofSeconds(5), stallTimeout, 3, Duration.ofMillis(50), Duration.ofMillis(100)));
        return downloader;
    }

    private Downloader downloader() {
        return downloader(0, Duration.ofSeconds(30));
    }

    private static ModelSource hf(String repo, String file) {
        return new ModelSource(ModelSource.HUGGINGFACE, repo, file, null, null, null, null);
    }

    private static byte[] bytes(int size) {
        byte[] bytes = new byte[size];
        for (int i = 0; i < size; i++) {
            bytes[i] = (byte) (i * 31 + i / 251);
        }
        return bytes;
    }

    private static ModelFiles.Prepared get(CompletableFuture<ModelFiles.Prepared> future) throws Exception {
        return future.get(30, TimeUnit.SECONDS);
    }

    private static String failure(CompletableFuture<ModelFiles.Prepared> future) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> future.get(30, TimeUnit.SECONDS));
        assertInstanceOf(DownloadException.class, e.getCause(), String.valueOf(e.getCause()));
        return e.getCause().getMessage();
    }

    private Path target(String hubType, String repo, String file) {
        return dir.resolve("models").resolve(hubType).resolve(repo).resolve(file);
    }

    @Test
    void aBrokenTransferResumesWithRangeFromThePartFile() throws Exception {
        byte[] content = bytes(300_000);
        FakeHub.Served served = hub.put(REPO, FILE, content);
        served.breakAfter = 100_000;
        served.breaks = 1;

        ModelFiles.Prepared prepared = get(downloader().prepare("i", hf(REPO, "*Q4_K_M.gguf"), p -> { }));

        assertEquals(target("huggingface", REPO, FILE), prepared.model());
        assertArrayEquals(content, Files.readAllBytes(prepared.model()));
        assertFalse(Files.exists(FileTransfer.partOf(prepared.model())));
        List<String> ranges = hub.requestsFor(FILE).stream().map(FakeHub.Request::range).toList();
        assertEquals(2, ranges.size(), ranges.toString());
        assertNull(ranges.get(0));
        // from what the part file holds: the hub sent 100,000 bytes before it hung up, but a connection closed short
        // can lose what was still in flight (seen once in CI under load: 97,709), so any start up to 100,000 is
        // right; the whole file's equality above shows the resumed bytes joined the kept ones exactly
        long resumedFrom = Long.parseLong(ranges.get(1).replaceAll("^bytes=(\\d+)-$", "$1"));
        assertTrue(resumedFrom > 0 && resumedFrom <= 100_000, ranges.get(1));
    }

    @Test
    void aPartFileLeftByAnEarlierRunIsResumed() throws Exception {
        byte[] content = bytes(50_000);
        hub.put(REPO, FILE, content);
        Path target = target("huggingface", REPO, FILE);
        Files.createDirectories(target.getParent());
        Files.write(FileTransfer.partOf(target), Arrays.copyOf(content, 12_345));

        ModelFiles.Prepared prepared = get(downloader().prepare("i", hf(REPO, FILE), p -> { }));

        assertArrayEquals(content, Files.readAllBytes(prepared.model()));
        assertEquals(List.of("bytes=12345-"), hub.requestsFor(FILE).stream().map(FakeHub.Request::range).toList());
    }

    @Test
    void aCompleteFileIsNotFetchedAgain() throws Exception {
        byte[] content = bytes(10_000);
        hub.put(REPO, FILE, content);
        get(downloader().prepare("a", hf(REPO, FILE), p -> { }));
        get(downloader.prepare("b", hf(REPO, FILE), p -> { }));
        assertEquals(1, hub.requestsFor(FILE).size());
    }

    @Test
    void aStalledTransferIsDroppedAndResumed() throws Exception {
        byte[] content = bytes(80_000);
        FakeHub.Served served = hub.put(REPO, FILE, content);
        served.stallAfter = 20_000;
        served.stalls = 1;

        ModelFiles.Prepared prepared = get(downloader(0, Duration.ofMillis(500)).prepare("i", hf(REPO, FILE), p -> { }));

        assertArrayEquals(content, Files.readAllBytes(prepared.model()));
        assertEquals(Arrays.asList(null, "bytes=20000-"),
                hub.requestsFor(FILE).stream().map(FakeHub.Request::range).toList());
    }

    @Test
    void twoInstancesThatNeedTheSameFileShareOneTransfer() throws Exception {
        byte[] content = bytes(200_000);
        hub.put(REPO, FILE, content).bytesPer10Ms = 8_192;
        List<Double> progressA = new CopyOnWriteArrayList<>();

        CompletableFuture<ModelFiles.Prepared> a = downloader().prepare("a", hf(REPO, FILE), progressA::add);
        await().atMost(Duration.ofSeconds(10)).until(() -> hub.requestsFor(FILE).size() == 1);
        CompletableFuture<ModelFiles.Prepared> b = downloader.prepare("b", hf(REPO, FILE), p -> { });

        assertEquals(get(a), get(b));
        assertEquals(1, hub.requestsFor(FILE).size(), "one transfer for both: " + hub.requests);
        assertArrayEquals(content, Files.readAllBytes(get(a).model()));
        assertTrue(progressA.size() >= 2, "progress was reported while it ran: " + progressA);
        for (int i = 1; i < progressA.size(); i++) {
            assertTrue(progressA.get(i) - progressA.get(i - 1) >= ProgressThrottle.STEP, "throttled: " + progressA);
        }
        assertTrue(progressA.stream().allMatch(p -> p >= 0 && p <= 1), progressA.toString());
    }

    @Test
    void oneInstanceGivingUpDoesNotStopTheTransferTheOtherWaitsFor() throws Exception {
        byte[] content = bytes(100_000);
        hub.put(REPO, FILE, content).bytesPer10Ms = 8_192;
        CompletableFuture<ModelFiles.Prepared> a = downloader().prepare("a", hf(REPO, FILE), p -> { });
        CompletableFuture<ModelFiles.Prepared> b = downloader.prepare("b", hf(REPO, FILE), p -> { });
        await().atMost(Duration.ofSeconds(10)).until(() -> hub.requestsFor(FILE).size() == 1);

        a.cancel(false);

        assertArrayEquals(content, Files.readAllBytes(get(b).model()));
        assertEquals(1, hub.requestsFor(FILE).size());
    }

    @Test
    void aWrongChecksumDeletesTheFileAndSaysSo() throws Exception {
        hub.put(REPO, FILE, bytes(5_000)).listedSha256 = "ab".repeat(32);

        String message = failure(downloader().prepare("i", hf(REPO, FILE), p -> { }));

        assertTrue(message.contains("checksum mismatch") && message.contains("ab".repeat(32))
                && message.contains("the file was deleted"), message);
        Path target = target("huggingface", REPO, FILE);
        assertFalse(Files.exists(target));
        assertFalse(Files.exists(FileTransfer.partOf(target)));
    }

    @Test
    void notEnoughFreeDiskIsRefusedBeforeAnyByteIsFetched() {
        hub.put(REPO, FILE, bytes(5_000));

        String message = failure(downloader(Long.MAX_VALUE / 4, Duration.ofSeconds(30))
                .prepare("i", hf(REPO, FILE), p -> { }));

        assertTrue(message.startsWith("not enough free disk for the model: the download needs 4.9 KiB more plus "),
                message);
        assertTrue(message.contains("gpufleet.worker.download.disk-margin") && message.contains(" free"), message);
        assertEquals(0, hub.requestsFor(FILE).size());
    }

    @Test
    void hubAnswersThatRetryingCannotFixFailWithAClearMessageAndNoToken() {
        record Case(String name, int status, String expected) {
        }
        List<Case> cases = List.of(
                new Case("gated.gguf", 401, "Hugging Face file gated.gguf: Hugging Face answered HTTP 401 (the "
                        + "token in gpufleet.worker.huggingface.token has no access to it)"),
                new Case("forbidden.gguf", 403, "Hugging Face file forbidden.gguf: Hugging Face answered HTTP 403"),
                new Case("gone.gguf", 404, "Hugging Face file gone.gguf: not found on Hugging Face at "));
        downloader();
        for (Case c : cases) {
            hub.put(REPO, c.name(), bytes(100)).status = c.status();
            String message = failure(downloader.prepare("i", hf(REPO, c.name()), p -> { }));
            assertTrue(message.startsWith(c.expected()), c.name() + ": " + message);
            assertFalse(message.contains(TOKEN), "never the token: " + message);
            assertEquals(1, hub.requestsFor(c.name()).size(), c.name() + " is not retried");
        }
        String missingRepo = failure(downloader.prepare("i", hf("nobody/nothing", "x.gguf"), p -> { }));
        assertTrue(missingRepo.startsWith("Hugging Face repository nobody/nothing@main: not found"), missingRepo);
        String noMatch = failure(downloader.prepare("i", hf(REPO, "*q9_k.gguf"), p -> { }));
        assertTrue(noMatch.contains("no file matches '*q9_k.gguf'; the repository has "), noMatch);
    }

    @Test
    void theTokenGoesToTheHubButNotToTheHostItRedirectsTo() throws Exception {
        assertTrue(HubHttp.sameOrigin(java.net.URI.create("https://huggingface.co/a"),
                java.net.URI.create("https://huggingface.co:443")));
        assertFalse(HubHttp.sameOrigin(java.net.URI.create("https://cdn-lfs.hf.co/a"),
                java.net.URI.create("https://huggingface.co")));
        hub.put(REPO, FILE, bytes(1_000));
        get(downloader().prepare("i", hf(REPO, FILE), p -> { }));
        assertEquals("Bearer " + TOKEN, hub.requestsFor(FILE).get(0).authorization(), "same origin here");
    }

    @Test
    void aSplitGgufComesWithAllItsPartsAndTheProjectorBesideIt() throws Exception {
        String repo = "ggml-org/llava-v1.6";
        hub.put(repo, "llava-q4_k_m-00001-of-00002.gguf", bytes(3_000));
        hub.put(repo, "llava-q4_k_m-00002-of-00002.gguf", bytes(2_000));
        hub.put(repo, "mmproj-llava-f16.gguf", bytes(1_000));
        hub.put(repo, "mmproj-llava-f32.gguf", bytes(1_500));
        hub.put(repo, "mmproj-llava-q8_0.gguf", bytes(600));
        hub.put(repo, "llava-q8_0.gguf", bytes(4_000));

        ModelFiles.Prepared prepared = get(downloader().prepare("i", hf(repo, "*q4_k_m*.gguf"), p -> { }));

        assertEquals(target("huggingface", repo, "llava-q4_k_m-00001-of-00002.gguf"), prepared.model());
        assertEquals(target("huggingface", repo, "mmproj-llava-f32.gguf"), prepared.mmproj(), "f32 before f16");
        assertTrue(Files.isRegularFile(target("huggingface", repo, "llava-q4_k_m-00002-of-00002.gguf")));
        assertFalse(Files.exists(target("huggingface", repo, "llava-q8_0.gguf")));
    }

    @Test
    void modelScopeFilesComeByTheirPath() throws Exception {
        String model = "qwen/Qwen2.5-0.5B-Instruct-GGUF";
        byte[] content = bytes(20_000);
        hub.put(model, "gguf/" + FILE, content);
        ModelSource source = new ModelSource(ModelSource.MODELSCOPE, null, null, null, model, "gguf/" + FILE, null);

        ModelFiles.Prepared prepared = get(downloader().prepare("i", source, p -> { }));

        assertEquals(target("modelscope", model, "gguf/" + FILE), prepared.model());
        assertArrayEquals(content, Files.readAllBytes(prepared.model()));
        assertNull(prepared.mmproj());
        assertEquals("null", hub.authorizations.get(0), "no ModelScope token set, none sent");
    }

    @Test
    void aListedFileNameThatLeavesTheModelDirectoryIsRefusedAndNothingIsFetched() throws Exception {
        String repo = "evil/escape-GGUF";
        hub.put(repo, "../../../escape.gguf", bytes(1_000));

        String message = failure(downloader().prepare("i", hf(repo, "*escape.gguf"), p -> { }));

        assertTrue(message.contains("file path ../../../escape.gguf leaves the repository"), message);
        assertEquals(List.of(), hub.requests, "no file was requested");
        assertFalse(Files.exists(dir.resolve("models").resolve("escape.gguf")));
        assertFalse(Files.exists(dir.resolve("escape.gguf")));
    }
}
