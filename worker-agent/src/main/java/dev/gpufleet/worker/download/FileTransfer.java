package dev.gpufleet.worker.download;

import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One file's transfer into {@code <target>.part}, resumed with {@code Range} from what the part file holds (after
 * an agent restart too), retried on broken or stalled connections, checked against the hub's sha256 and renamed to
 * its target only when complete and correct. Shared by every instance that needs the file.
 */
final class FileTransfer {
    private static final Logger LOG = Logger.getLogger(FileTransfer.class);
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-\\d+/(\\d+|\\*)");
    private static final int BUFFER = 1 << 16;

    final RemoteFile file;
    final Path target;
    final Path part;
    final CompletableFuture<Path> result = new CompletableFuture<>();
    /** bytes of the file on disk so far */
    final AtomicLong done = new AtomicLong();
    /** instances waiting for it; guarded by the Downloader's registry lock */
    int users;
    private final URI uri;
    private final Hub hub;
    private final HubHttp http;
    private final DownloadSettings settings;
    private volatile boolean cancelled;
    private volatile InputStream body;
    private volatile long lastByteNanos;

    FileTransfer(RemoteFile file, Path target, URI uri, Hub hub, HubHttp http, DownloadSettings settings) {
        this.file = file;
        this.target = target;
        this.part = partOf(target);
        this.uri = uri;
        this.hub = hub;
        this.http = http;
        this.settings = settings;
    }

    static Path partOf(Path target) {
        return target.resolveSibling(target.getFileName() + ModelFiles.PART_SUFFIX);
    }

    void cancel() {
        cancelled = true;
        closeBody();
    }

    /** Called by the watchdog: a connection silent for the stall timeout is dropped, and the next attempt resumes. */
    void checkStalled(long nowNanos) {
        InputStream stream = body;
        if (stream != null && nowNanos - lastByteNanos > settings.stallTimeout().toNanos()) {
            LOG.infof("Download of %s stalled for %s; reconnecting", file.path(), settings.stallTimeout());
            closeBody();
        }
    }

    private void closeBody() {
        InputStream stream = body;
        if (stream != null) {
            try {
                stream.close();
            } catch (IOException ignored) {
                // closing is all we wanted
            }
        }
    }

    void run() {
        try {
            result.complete(transfer());
        } catch (Throwable e) {
            result.completeExceptionally(cancelled ? new CancellationException("download cancelled") : e);
        }
    }

    private Path transfer() throws Exception {
        if (Files.isRegularFile(target) && (file.size() < 0 || Files.size(target) == file.size())) {
            done.set(Files.size(target));
            return target;
        }
        Files.createDirectories(target.getParent());
        String what = hub.name() + " file " + file.path();
        Exception last = null;
        for (int attempt = 1; attempt <= settings.attempts(); attempt++) {
            checkCancelled();
            if (attempt > 1) {
                Thread.sleep(settings.retryDelay().toMillis() << Math.min(attempt - 2, 6));
            }
            try {
                if (fetch(what)) {
                    verify();
                    move();
                    return target;
                }
            } catch (IOException e) {
                checkCancelled();
                last = e;
                LOG.infof("Download of %s broke off at %d of %d bytes (attempt %d of %d): %s", file.path(),
                        done.get(), file.size(), attempt, settings.attempts(), e.getMessage());
            }
        }
        throw new DownloadException(what + ": failed after " + settings.attempts() + " attempts (last: "
                + (last == null ? "the server sent nothing" : last.getMessage()) + "); the partial file "
                + part.getFileName() + " is kept and the next try resumes it");
    }

    /** One attempt: true when the part file holds the whole file afterwards. */
    private boolean fetch(String what) throws Exception {
        long have = Files.exists(part) ? Files.size(part) : 0;
        if (file.size() >= 0 && have > file.size()) {
            Files.delete(part);
            have = 0;
        }
        done.set(have);
        if (file.size() >= 0 && have == file.size()) {
            return true;
        }
        HttpResponse<java.io.InputStream> response = http.open(uri, hub, have, settings.stallTimeout(), what);
        boolean append = false;
        if (response.statusCode() == 416) {
            response.body().close();
            Files.deleteIfExists(part); // the server has fewer bytes than we hold: start over
            throw new IOException("the server refused the range from byte " + have);
        }
        if (response.statusCode() == 206) {
            Matcher range = CONTENT_RANGE.matcher(response.headers().firstValue("Content-Range").orElse(""));
            append = range.matches() && Long.parseLong(range.group(1)) == have;
            if (!append) {
                response.body().close();
                Files.deleteIfExists(part);
                throw new IOException("the server answered a range other than the one asked for");
            }
        }
        if (!append) {
            have = 0;
            done.set(0);
        }
        long expected = file.size() >= 0 ? file.size()
                : response.headers().firstValueAsLong("Content-Length").orElse(-1) + have;
        try (InputStream in = response.body(); OutputStream out = Files.newOutputStream(part,
                StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
            lastByteNanos = System.nanoTime();
            body = in;
            checkCancelled();
            byte[] buffer = new byte[BUFFER];
            int n;
            while ((n = in.read(buffer)) >= 0) {
                checkCancelled();
                out.write(buffer, 0, n);
                lastByteNanos = System.nanoTime();
                done.addAndGet(n);
            }
        } finally {
            body = null;
        }
        checkCancelled();
        long got = Files.size(part);
        if (expected >= 0 && got < expected) {
            throw new IOException("the connection closed after " + got + " of " + expected + " bytes");
        }
        return true;
    }

    private void verify() throws IOException, DownloadException {
        if (file.sha256() == null) {
            return;
        }
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        try (InputStream in = Files.newInputStream(part)) {
            byte[] buffer = new byte[BUFFER];
            int n;
            while ((n = in.read(buffer)) >= 0) {
                checkCancelled();
                digest.update(buffer, 0, n);
            }
        }
        String actual = HexFormat.of().formatHex(digest.digest());
        if (!actual.equals(file.sha256())) {
            Files.deleteIfExists(part);
            done.set(0);
            throw new DownloadException(hub.name() + " file " + file.path() + ": checksum mismatch (sha256 "
                    + actual + ", the hub lists " + file.sha256() + "); the file was deleted");
        }
    }

    private void move() throws IOException {
        try {
            Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(part, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private void checkCancelled() {
        if (cancelled || Thread.currentThread().isInterrupted()) {
            throw new CancellationException("download cancelled");
        }
    }
}
