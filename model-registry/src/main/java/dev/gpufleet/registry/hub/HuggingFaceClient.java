package dev.gpufleet.registry.hub;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gpufleet.registry.analysis.ByteSource;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/**
 * Hugging Face: {@code GET /api/models/{repo}/revision/{revision}?blobs=true} lists {@code siblings} with
 * {@code rfilename} and {@code size}; {@code GET /{repo}/resolve/{revision}/{path}} serves a file (redirecting to
 * a CDN, honouring Range).
 */
public final class HuggingFaceClient implements HubClient {
    public static final String DEFAULT_ENDPOINT = "https://huggingface.co";
    public static final String DEFAULT_REVISION = "main";

    private final HubHttp http;

    public HuggingFaceClient(HubSettings settings) {
        this.http = new HubHttp(settings);
    }

    @Override
    public List<HubFile> listFiles(String repoId, String revision) throws HubException {
        HubPaths.checkRepoId(repoId);
        String rev = revision(revision);
        URI uri = URI.create(http.settings().endpoint() + "/api/models/" + HubPaths.encodePath(repoId)
                + "/revision/" + HubPaths.encode(rev) + "?blobs=true");
        String what = "Hugging Face repository " + repoId + "@" + rev;
        JsonNode siblings = HubPaths.getJson(http, uri, what).path("siblings");
        if (!siblings.isArray()) {
            throw new HubException(HubException.Kind.BAD_RESPONSE, what + ": the model info has no file list");
        }
        List<HubFile> files = new ArrayList<>();
        for (JsonNode sibling : siblings) {
            String name = sibling.path("rfilename").asText("");
            if (!name.isEmpty()) {
                // LFS files carry their real size under lfs.size; size is present with blobs=true.
                long size = sibling.path("size").asLong(sibling.path("lfs").path("size").asLong(-1));
                files.add(new HubFile(name, size));
            }
        }
        return List.copyOf(files);
    }

    @Override
    public ByteSource open(String repoId, String revision, HubFile file) {
        URI uri = URI.create(http.settings().endpoint() + "/" + HubPaths.encodePath(repoId) + "/resolve/"
                + HubPaths.encode(revision(revision)) + "/" + HubPaths.encodePath(file.path()));
        return new HttpRangeSource(http, uri, file.size());
    }

    @Override
    public String describe() {
        return "Hugging Face at " + http.settings().endpoint();
    }

    private static String revision(String revision) {
        return revision == null || revision.isBlank() ? DEFAULT_REVISION : revision;
    }
}
