package dev.gpufleet.registry.hub;

import dev.gpufleet.demomodel.DemoModel;
import dev.gpufleet.demomodel.Preset;
import dev.gpufleet.registry.analysis.ByteSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HubClientTest {
    static final String HF_LIST = "/api/models/Qwen/Qwen2.5-0.5B-Instruct-GGUF/revision/main";
    static final String MS_LIST = "/api/v1/models/Qwen/Qwen2.5-0.5B-Instruct/repo/files";
    static final Duration SHORT = Duration.ofMillis(800);

    @TempDir
    Path dir;
    FakeHub hub;
    FakeHub otherOrigin;
    byte[] gguf;

    @BeforeEach
    void start() throws Exception {
        Path model = dir.resolve("tiny.gguf");
        DemoModel.write(Preset.TINY, DemoModel.DEFAULT_SEED, model);
        gguf = Files.readAllBytes(model);
        hub = new FakeHub()
                .json(HF_LIST, "hf-qwen2.5-0.5b-instruct-gguf.json")
                .json("/api/models/Qwen/Qwen2.5-7B-Instruct-GGUF/revision/main", "hf-qwen2.5-7b-instruct-gguf-split.json")
                .json("/api/models/private/tiny/revision/main", "hf-qwen2.5-0.5b-instruct-gguf.json")
                .json(MS_LIST, "ms-qwen2.5-0.5b-instruct-files.json")
                .file("tiny.gguf", gguf);
        otherOrigin = new FakeHub().file("tiny.gguf", gguf);
        hub.elsewhere = otherOrigin.endpoint();
    }

    @AfterEach
    void stop() {
        hub.close();
        otherOrigin.close();
    }

    HubSettings settings(String token) {
        return new HubSettings(hub.endpoint(), Optional.ofNullable(token), HubConfig.HUGGING_FACE_TOKEN_SETTING,
                SHORT, SHORT);
    }

    HuggingFaceClient huggingFace(String token) {
        return new HuggingFaceClient(settings(token));
    }

    @Test
    void listsAHuggingFaceRepositoryWithSizes() throws Exception {
        List<HubFile> files = huggingFace(null).listFiles("Qwen/Qwen2.5-0.5B-Instruct-GGUF", null);
        assertEquals(12, files.size());
        assertTrue(files.contains(new HubFile("qwen2.5-0.5b-instruct-q4_k_m.gguf", 491400032L)), files.toString());
        FakeHub.Seen request = hub.seen.get(0);
        assertEquals(HF_LIST, request.path());
        assertEquals("blobs=true", request.query());
        assertNull(request.authorization());
    }

    @Test
    void listsAModelScopeRepositoryWithoutFolders() throws Exception {
        ModelScopeClient client = new ModelScopeClient(new HubSettings(hub.endpoint(), Optional.empty(),
                HubConfig.MODEL_SCOPE_TOKEN_SETTING, SHORT, SHORT));
        List<HubFile> files = client.listFiles("Qwen/Qwen2.5-0.5B-Instruct", "");
        assertEquals(10, files.size());
        assertTrue(files.contains(new HubFile("model.safetensors", 988097824L)));
        assertFalse(files.stream().anyMatch(f -> f.path().equals("onnx")));
        assertEquals("Revision=master&Recursive=true", hub.seen.get(0).query());
    }

    @Test
    void readsAModelScopeFileByRange() throws Exception {
        ModelScopeClient client = new ModelScopeClient(new HubSettings(hub.endpoint(), Optional.empty(),
                HubConfig.MODEL_SCOPE_TOKEN_SETTING, SHORT, SHORT));
        ByteSource source = client.open("Qwen/Qwen2.5-0.5B-Instruct", null, new HubFile("tiny.gguf", gguf.length));
        assertArrayEquals(Arrays.copyOfRange(gguf, 8, 24), source.read(8, 16));
        assertTrue(source.describe().contains("FilePath=tiny.gguf"), source.describe());
    }

    @Test
    void readsAGgufHeaderThroughRedirectsAndRangesOnly() throws Exception {
        ByteSource source = huggingFace(null).open("Qwen/Qwen2.5-0.5B-Instruct-GGUF", "main",
                new HubFile("tiny.gguf", gguf.length));
        byte[] head = source.read(0, 24);
        ByteBuffer le = ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0x46554747, le.getInt(0), "GGUF magic");
        assertEquals(3, le.getInt(4), "GGUF version");
        assertArrayEquals(Arrays.copyOfRange(gguf, 1000, 1500), source.read(1000, 500));
        assertArrayEquals(Arrays.copyOfRange(gguf, gguf.length - 7, gguf.length), source.read(gguf.length - 7, 7));
        HttpRangeSource range = (HttpRangeSource) source;
        assertEquals(24 + 500 + 7, range.bytesRead());
        assertEquals(List.of("bytes=0-23", "bytes=1000-1499"),
                hub.seen.stream().filter(s -> s.path().startsWith("/cdn/")).map(FakeHub.Seen::range).toList()
                        .subList(0, 2));
    }

    @Test
    void aReadPastTheEndIsNamedTruncatedWithoutAsking() {
        ByteSource source = huggingFace(null).open("Qwen/Qwen2.5-0.5B-Instruct-GGUF", "main",
                new HubFile("tiny.gguf", gguf.length));
        HubException e = assertThrows(HubException.class, () -> source.read(gguf.length - 4, 8));
        assertEquals(HubException.Kind.TRUNCATED, e.kind());
    }

    @Test
    void aServerThatIgnoresRangeCostsOnlyTheBytesAskedFor() throws Exception {
        byte[] big = new byte[16 << 20];
        System.arraycopy(gguf, 0, big, 0, gguf.length);
        hub.file("big.gguf", big);
        ByteSource source = huggingFace(null).open("Qwen/Qwen2.5-0.5B-Instruct-GGUF", "main",
                new HubFile("ignores-range/big.gguf", big.length));
        assertArrayEquals(Arrays.copyOf(gguf, 32), source.read(0, 32));
        assertEquals(32, ((HttpRangeSource) source).bytesRead());
        HubException e = assertThrows(HubException.class, () -> source.read(4096, 32));
        assertEquals(HubException.Kind.BAD_RESPONSE, e.kind());
        assertTrue(e.getMessage().contains("ignored the Range"), e.getMessage());
    }

    @Test
    void aRangeAnswerWithFewerBytesIsTruncated() {
        ByteSource source = huggingFace(null).open("Qwen/Qwen2.5-0.5B-Instruct-GGUF", "main",
                new HubFile("short/tiny.gguf", gguf.length));
        HubException e = assertThrows(HubException.class, () -> source.read(0, 1000));
        assertEquals(HubException.Kind.TRUNCATED, e.kind(), e.getMessage());
        assertTrue(e.isTransient());
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "no/such-repo,     NOT_FOUND,    not found",
            "private/tiny,     UNAUTHORIZED, set gpufleet.registry.huggingface.token",
            "gated/x,          FORBIDDEN,    gpufleet.registry.huggingface.token",
            "down/x,           UNAVAILABLE,  503",
            "slow/x,           TIMEOUT,      within",
            "slowbody/x,       TIMEOUT,      within",
            "truncated/x,      TRUNCATED,    cut short",
    })
    void hubFailuresAreTypedAndNamed(String repo, HubException.Kind kind, String inMessage) {
        HubException withToken = assertThrows(HubException.class,
                () -> huggingFace(FakeHub.TOKEN + "-other").listFiles(repo, "main"));
        assertFalse(withToken.getMessage().contains(FakeHub.TOKEN), withToken.getMessage());
        HubException e = assertThrows(HubException.class, () -> huggingFace(null).listFiles(repo, "main"));
        assertEquals(kind, e.kind(), e.getMessage());
        assertTrue(e.getMessage().contains(inMessage), e.getMessage());
        assertTrue(e.getMessage().contains(repo), e.getMessage());
        assertEquals(kind == HubException.Kind.UNAVAILABLE || kind == HubException.Kind.TIMEOUT
                || kind == HubException.Kind.TRUNCATED, e.isTransient());
    }

    @Test
    void anUnreachableHubIsTransient() {
        hub.close();
        HubException e = assertThrows(HubException.class,
                () -> huggingFace(null).listFiles("Qwen/Qwen2.5-0.5B-Instruct-GGUF", "main"));
        assertEquals(HubException.Kind.UNAVAILABLE, e.kind(), e.getMessage());
        assertTrue(e.isTransient());
    }

    @Test
    void theTokenOpensAPrivateRepositoryAndIsNeverShown() throws Exception {
        HuggingFaceClient client = huggingFace(FakeHub.TOKEN);
        assertEquals(12, client.listFiles("private/tiny", null).size());
        assertEquals("Bearer " + FakeHub.TOKEN, hub.seen.get(0).authorization());

        HubException refused = assertThrows(HubException.class,
                () -> huggingFace("hf_wrong_token_zzz").listFiles("private/tiny", null));
        assertEquals(HubException.Kind.UNAUTHORIZED, refused.kind());
        assertTrue(refused.getMessage().contains("refused the token in gpufleet.registry.huggingface.token"),
                refused.getMessage());
        assertFalse(refused.getMessage().contains("hf_wrong_token_zzz"));

        ByteSource source = client.open("private/tiny", null, new HubFile("tiny.gguf", gguf.length));
        assertFalse(source.describe().contains(FakeHub.TOKEN));
        assertFalse(settings(FakeHub.TOKEN).toString().contains(FakeHub.TOKEN));
        assertFalse(client.describe().contains(FakeHub.TOKEN));
    }

    @Test
    void theTokenIsNotSentToTheHostARedirectPointsTo() throws Exception {
        ByteSource source = huggingFace(FakeHub.TOKEN).open("redirect-away/tiny", "main",
                new HubFile("tiny.gguf", gguf.length));
        assertArrayEquals(Arrays.copyOf(gguf, 16), source.read(0, 16));
        assertEquals("Bearer " + FakeHub.TOKEN, hub.seen.get(0).authorization());
        assertEquals(1, otherOrigin.seen.size());
        assertNull(otherOrigin.seen.get(0).authorization());
    }

    @Test
    void aMissingFileIsNotFound() {
        ByteSource source = huggingFace(null).open("Qwen/Qwen2.5-0.5B-Instruct-GGUF", "main",
                new HubFile("nope.gguf", 100));
        HubException e = assertThrows(HubException.class, () -> source.read(0, 10));
        assertEquals(HubException.Kind.NOT_FOUND, e.kind());
        assertTrue(e.getMessage().contains("nope.gguf"), e.getMessage());
    }

    @ParameterizedTest
    @CsvSource({"../etc", "a/b/c", "a?x=1/b", "''"})
    void repositoryIdsThatWouldBendTheUrlAreRefused(String repo) {
        HubException e = assertThrows(HubException.class, () -> huggingFace(null).listFiles(repo, null));
        assertTrue(e.getMessage().contains("owner/name"), e.getMessage());
        assertTrue(hub.seen.isEmpty());
    }
}
