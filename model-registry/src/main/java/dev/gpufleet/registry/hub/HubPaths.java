package dev.gpufleet.registry.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/** URL building and JSON reading shared by the hub clients. */
final class HubPaths {
    /** Listings of repositories with thousands of files stay far below this. */
    static final int MAX_LISTING_BYTES = 32 << 20;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern REPO_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*");

    private HubPaths() {
    }

    /** Rejects ids that would change the URL's meaning ({@code ..}, {@code ?}, extra slashes). */
    static void checkRepoId(String repoId) throws HubException {
        if (repoId == null || !REPO_ID.matcher(repoId).matches() || repoId.contains("..")) {
            throw new HubException(HubException.Kind.NOT_FOUND,
                    "'" + repoId + "' is not a repository id of the form owner/name");
        }
    }

    /** Each segment percent-encoded, slashes kept. */
    static String encodePath(String path) {
        StringBuilder out = new StringBuilder();
        for (String segment : path.split("/", -1)) {
            if (out.length() > 0) {
                out.append('/');
            }
            out.append(encode(segment));
        }
        return out.toString();
    }

    static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    static JsonNode getJson(HubHttp http, URI uri, String what) throws HubException {
        HubHttp.Answer answer = http.get(uri, null, MAX_LISTING_BYTES, what);
        http.check(answer, what);
        if (answer.cutShort()) {
            throw new HubException(HubException.Kind.TRUNCATED, what + ": the answer was cut short");
        }
        if (answer.body().length == MAX_LISTING_BYTES) {
            throw new HubException(HubException.Kind.BAD_RESPONSE, what + ": listing larger than "
                    + MAX_LISTING_BYTES + " bytes");
        }
        try {
            return JSON.readTree(answer.body());
        } catch (IOException e) {
            throw new HubException(HubException.Kind.BAD_RESPONSE, what + ": not JSON (" + e.getMessage().lines().findFirst().orElse("")
                    + ")");
        }
    }
}
