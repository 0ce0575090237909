package dev.gpufleet.worker.download;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The JDK HTTP client as the downloads need it: the token as {@code Authorization: Bearer} only to the hub's own
 * origin (redirects are followed by hand for that; Hugging Face sends files to a CDN), statuses that retrying cannot
 * fix turned into {@link DownloadException}s naming the setting to change.
 */
final class HubHttp {
    static final int MAX_REDIRECTS = 5;
    private static final Pattern REPO_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9._-]+)*");

    private final Duration connectTimeout;
    private HttpClient client;

    HubHttp(Duration connectTimeout) {
        this.connectTimeout = connectTimeout;
    }

    /**
     * Built on the first download, not with the agent: the client builds a TLS context, about 450 classes and several
     * MB of RSS (bench/README.md, agent) that a worker serving local models never needs.
     */
    private synchronized HttpClient client() {
        if (client == null) {
            client = HttpClient.newBuilder().connectTimeout(connectTimeout)
                    .followRedirects(HttpClient.Redirect.NEVER).build();
        }
        return client;
    }

    static URI listing(String type, Hub hub, String repo, String revision) {
        return URI.create(type.equals(ModelFiles.HUGGINGFACE)
                ? hub.endpoint() + "/api/models/" + path(repo) + "/revision/" + encode(revision) + "?blobs=true"
                : hub.endpoint() + "/api/v1/models/" + path(repo) + "/repo/files?Revision=" + encode(revision)
                + "&Recursive=true");
    }

    static URI file(String type, Hub hub, String repo, String revision, String file) {
        return URI.create(type.equals(ModelFiles.HUGGINGFACE)
                ? hub.endpoint() + "/" + path(repo) + "/resolve/" + encode(revision) + "/" + path(file)
                : hub.endpoint() + "/api/v1/models/" + path(repo) + "/repo?Revision=" + encode(revision)
                + "&FilePath=" + encode(file));
    }

    static String checkRepo(String repo, String field) throws DownloadException {
        if (repo == null || !REPO_ID.matcher(repo).matches() || repo.contains("..")) {
            throw new DownloadException("model source " + field + " '" + repo + "' is not a repository id like "
                    + "owner/name");
        }
        return repo;
    }

    String text(URI uri, Hub hub, Duration timeout, String what) throws DownloadException, IOException {
        HttpResponse<InputStream> response = open(uri, hub, 0, timeout, what);
        try (InputStream body = response.body()) {
            return new String(body.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /**
     * GETs {@code uri} from byte {@code from} on ({@code Range: bytes=from-} when above 0); the caller reads and
     * closes the body. Answers 200, 206 and 416 come back; other statuses throw.
     */
    HttpResponse<InputStream> open(URI uri, Hub hub, long from, Duration timeout, String what)
            throws DownloadException, IOException {
        URI current = uri;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpRequest.Builder request = HttpRequest.newBuilder(current).GET().timeout(timeout);
            if (from > 0) {
                request.header("Range", "bytes=" + from + "-");
            }
            if (hub.token().isPresent() && sameOrigin(current, URI.create(hub.endpoint()))) {
                request.header("Authorization", "Bearer " + hub.token().get());
            }
            HttpResponse<InputStream> response;
            try {
                response = client().send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted");
            }
            int status = response.statusCode();
            if (status == 200 || status == 206 || status == 416) {
                return response;
            }
            response.body().close();
            if (status >= 300 && status < 400 && status != 304) {
                String location = response.headers().firstValue("Location").orElseThrow(() ->
                        new IOException(what + ": redirect " + status + " without Location"));
                current = current.resolve(location);
                continue;
            }
            if (status == 401 || status == 403) {
                throw new DownloadException(what + ": " + hub.name() + " answered HTTP " + status + " (" + (hub.token()
                        .isPresent() ? "the token in " + hub.setting() + ".token has no access to it"
                        : "a gated or private repository needs a token: set " + hub.setting() + ".token") + ")");
            }
            if (status == 404) {
                throw new DownloadException(what + ": not found on " + hub.name() + " at " + hub.endpoint());
            }
            if (status >= 400 && status < 500 && status != 408 && status != 429) {
                throw new DownloadException(what + ": " + hub.name() + " answered HTTP " + status);
            }
            throw new IOException(what + ": " + hub.name() + " answered HTTP " + status);
        }
        throw new IOException(what + ": more than " + MAX_REDIRECTS + " redirects");
    }

    static boolean sameOrigin(URI a, URI b) {
        return Objects.equals(lower(a.getScheme()), lower(b.getScheme())) && Objects.equals(lower(a.getHost()),
                lower(b.getHost())) && port(a) == port(b);
    }

    private static String lower(String s) {
        return s == null ? null : s.toLowerCase(java.util.Locale.ROOT);
    }

    private static int port(URI uri) {
        return uri.getPort() >= 0 ? uri.getPort() : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
    }

    static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    static String path(String value) {
        return Stream.of(value.split("/")).map(HubHttp::encode).collect(Collectors.joining("/"));
    }
}
