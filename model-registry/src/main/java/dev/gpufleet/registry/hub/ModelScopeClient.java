package dev.gpufleet.registry.hub;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gpufleet.registry.analysis.ByteSource;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/**
 * ModelScope: {@code GET /api/v1/models/{id}/repo/files?Revision=..&Recursive=true} answers
 * {@code {"Code":200,"Data":{"Files":[{"Path","Size","Type":"blob"|"tree"}]},"Success":true}};
 * {@code GET /api/v1/models/{id}/repo?Revision=..&FilePath=..} serves a file (Range honoured).
 */
public final class ModelScopeClient implements HubClient {
    public static final String DEFAULT_ENDPOINT = "https://www.modelscope.cn";
    public static final String DEFAULT_REVISION = "master";

    private final HubHttp http;

    public ModelScopeClient(HubSettings settings) {
        this.http = new HubHttp(settings);
    }

    @Override
    public List<HubFile> listFiles(String modelId, String revision) throws HubException {
        HubPaths.checkRepoId(modelId);
        String rev = revision(revision);
        URI uri = URI.create(http.settings().endpoint() + "/api/v1/models/" + HubPaths.encodePath(modelId)
                + "/repo/files?Revision=" + HubPaths.encode(rev) + "&Recursive=true");
        String what = "ModelScope model " + modelId + "@" + rev;
        JsonNode root = HubPaths.getJson(http, uri, what);
        // ModelScope may answer HTTP 200 with its own error code in the body.
        int code = root.path("Code").asInt(200);
        if (code == 404 || code == 10010205) {
            throw new HubException(HubException.Kind.NOT_FOUND, what + ": not found on " + http.settings().endpoint());
        }
        JsonNode entries = root.path("Data").path("Files");
        if (!entries.isArray()) {
            throw new HubException(HubException.Kind.BAD_RESPONSE, what + ": the answer has no file list"
                    + (root.hasNonNull("Message") ? " (" + root.path("Message").asText() + ")" : ""));
        }
        List<HubFile> files = new ArrayList<>();
        for (JsonNode entry : entries) {
            if ("tree".equals(entry.path("Type").asText())) {
                continue;
            }
            String path = entry.path("Path").asText(entry.path("Name").asText(""));
            if (!path.isEmpty()) {
                files.add(new HubFile(path, entry.path("Size").asLong(-1)));
            }
        }
        return List.copyOf(files);
    }

    @Override
    public ByteSource open(String modelId, String revision, HubFile file) {
        URI uri = URI.create(http.settings().endpoint() + "/api/v1/models/" + HubPaths.encodePath(modelId)
                + "/repo?Revision=" + HubPaths.encode(revision(revision)) + "&FilePath="
                + HubPaths.encode(file.path()));
        return new HttpRangeSource(http, uri, file.size());
    }

    @Override
    public String describe() {
        return "ModelScope at " + http.settings().endpoint();
    }

    private static String revision(String revision) {
        return revision == null || revision.isBlank() ? DEFAULT_REVISION : revision;
    }
}
