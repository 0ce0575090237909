package dev.gpufleet.worker.download;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads the hubs' file listings. Hugging Face ({@code /api/models/{repo}/revision/{rev}?blobs=true}):
 * {@code siblings[]} with {@code rfilename}, {@code size} and, for LFS files, {@code lfs.sha256}. ModelScope
 * ({@code /api/v1/models/{id}/repo/files?Recursive=true}): {@code Data.Files[]} with {@code Path}, {@code Size},
 * {@code Sha256} and {@code Type} ({@code blob} or {@code tree}), and a {@code Code} that may say 404 under HTTP 200.
 * Pure; tree-model parsing only, so nothing needs registering for a native image.
 */
public final class HubListing {
    private static final ObjectMapper JSON = new ObjectMapper();

    private HubListing() {
    }

    public static List<RemoteFile> huggingFace(String body, String what) throws DownloadException {
        JsonNode siblings = parse(body, what).path("siblings");
        if (!siblings.isArray()) {
            throw new DownloadException(what + ": the model info has no file list (siblings)");
        }
        List<RemoteFile> files = new ArrayList<>();
        for (JsonNode sibling : siblings) {
            String path = sibling.path("rfilename").asText("");
            if (!path.isEmpty()) {
                JsonNode lfs = sibling.path("lfs");
                long size = sibling.path("size").asLong(lfs.path("size").asLong(-1));
                files.add(new RemoteFile(path, size, sha256(lfs.path("sha256").asText(null))));
            }
        }
        return List.copyOf(files);
    }

    public static List<RemoteFile> modelScope(String body, String what) throws DownloadException {
        JsonNode root = parse(body, what);
        int code = root.path("Code").asInt(200);
        if (code == 404 || code == 10010205) {
            throw new DownloadException(what + ": not found");
        }
        JsonNode entries = root.path("Data").path("Files");
        if (!entries.isArray()) {
            throw new DownloadException(what + ": the answer has no file list"
                    + (root.hasNonNull("Message") ? " (" + root.path("Message").asText() + ")" : ""));
        }
        List<RemoteFile> files = new ArrayList<>();
        for (JsonNode entry : entries) {
            String path = entry.path("Path").asText(entry.path("Name").asText(""));
            if (!"tree".equals(entry.path("Type").asText()) && !path.isEmpty()) {
                files.add(new RemoteFile(path, entry.path("Size").asLong(-1),
                        sha256(entry.path("Sha256").asText(null))));
            }
        }
        return List.copyOf(files);
    }

    private static JsonNode parse(String body, String what) throws DownloadException {
        try {
            return JSON.readTree(body);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new DownloadException(what + ": the file listing is not JSON (" + e.getOriginalMessage() + ")");
        } catch (IOException e) {
            throw new DownloadException(what + ": the file listing cannot be read (" + e.getMessage() + ")");
        }
    }

    /** Only a well-formed 64-digit hex value is a checksum; anything else (empty, a git sha1) means none. */
    static String sha256(String value) {
        if (value == null) {
            return null;
        }
        String hex = value.strip().toLowerCase(Locale.ROOT);
        return hex.matches("[0-9a-f]{64}") ? hex : null;
    }
}
