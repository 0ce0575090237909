package dev.gpufleet.registry.hub;

import dev.gpufleet.registry.analysis.ByteSource;

import java.net.URI;

/**
 * A hub file read with {@code Range: bytes=a-b}: each {@link #read} fetches exactly the bytes asked for. A server
 * that ignores Range and answers 200 with the whole file is read only as far as asked, and only for reads from
 * offset 0; any other read it would make us download up to the offset, so that is an error instead.
 * The size comes from the repository listing. {@link #describe()} is the URL, which never carries the token.
 */
public final class HttpRangeSource implements ByteSource {
    /** Parsers read headers in pieces; one read larger than this is a bug or a hostile header. */
    static final int MAX_READ = 64 << 20;

    private final HubHttp http;
    private final URI uri;
    private final long size;
    private long bytesRead;

    HttpRangeSource(HubHttp http, URI uri, long size) {
        this.http = http;
        this.uri = uri;
        this.size = size;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public byte[] read(long offset, int length) throws HubException {
        if (offset < 0 || length < 0 || length > MAX_READ) {
            throw new HubException(HubException.Kind.BAD_RESPONSE,
                    describe() + ": refusing to read " + length + " bytes at " + offset);
        }
        if (offset + length > size) {
            throw new HubException(HubException.Kind.TRUNCATED, describe() + ": asked for bytes " + offset + ".."
                    + (offset + length) + " but the file has " + size);
        }
        if (length == 0) {
            return new byte[0];
        }
        String what = describe() + " bytes " + offset + "-" + (offset + length - 1);
        HubHttp.Answer answer = http.get(uri, "bytes=" + offset + "-" + (offset + length - 1), length, what);
        bytesRead += answer.body().length;
        if (answer.status() == 416) {
            throw new HubException(HubException.Kind.TRUNCATED, what + ": the server says the range is past the end");
        }
        http.check(answer, what);
        if (answer.status() == 200 && offset != 0) {
            throw new HubException(HubException.Kind.BAD_RESPONSE,
                    what + ": the server ignored the Range request (200 with the whole file)");
        }
        if (answer.status() != 200 && answer.status() != 206) {
            throw new HubException(HubException.Kind.BAD_RESPONSE, what + ": unexpected HTTP " + answer.status());
        }
        String contentRange = answer.headers().firstValue("Content-Range").orElse("");
        if (answer.status() == 206 && !contentRange.startsWith("bytes " + offset + "-")) {
            throw new HubException(HubException.Kind.BAD_RESPONSE,
                    what + ": the server sent another range (" + contentRange + ")");
        }
        if (answer.body().length < length) {
            throw new HubException(HubException.Kind.TRUNCATED,
                    what + ": got " + answer.body().length + " of " + length + " bytes");
        }
        return answer.body();
    }

    @Override
    public String describe() {
        return uri.toString();
    }

    /** Body bytes received so far, to show that analysis read only the header. */
    public long bytesRead() {
        return bytesRead;
    }
}
