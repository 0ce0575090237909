package dev.gpufleet.worker.download;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * What the {@link Downloader} is doing to each repository directory, for the model files report: transfers in
 * flight (bytes so far of the total) and the last failure. Thread-safe.
 */
public final class DownloadTracker {
    /** @param error the last download's failure, while no later one succeeded; null otherwise */
    public record Progress(boolean inFlight, long doneBytes, long totalBytes, String error) {
    }

    private record Active(long total, LongSupplier done) {
    }

    private final Map<Path, List<Active>> active = new HashMap<>();
    private final Map<Path, String> errors = new HashMap<>();

    /** @return a handle that {@link #finished} or {@link #failed} takes back */
    Object started(Path directory, long totalBytes, LongSupplier doneBytes) {
        Active download = new Active(totalBytes, doneBytes);
        synchronized (this) {
            active.computeIfAbsent(directory, d -> new ArrayList<>()).add(download);
        }
        return download;
    }

    synchronized void finished(Path directory, Object handle) {
        end(directory, handle);
        errors.remove(directory);
    }

    /** @param message why, or null when the download was only called off (nobody waits for it) */
    synchronized void failed(Path directory, Object handle, String message) {
        end(directory, handle);
        if (message != null) {
            errors.put(directory, message);
        }
    }

    private void end(Path directory, Object handle) {
        List<Active> list = active.get(directory);
        if (list != null && handle != null) {
            list.remove(handle);
            if (list.isEmpty()) {
                active.remove(directory);
            }
        }
    }

    /** The directory's files are gone: nothing is remembered of them. */
    public synchronized void forget(Path directory) {
        errors.remove(directory);
    }

    /** Empty when nothing is downloading into {@code directory} and no download there failed. */
    public Optional<Progress> progress(Path directory) {
        List<Active> list;
        String error;
        synchronized (this) {
            list = active.containsKey(directory) ? List.copyOf(active.get(directory)) : List.of();
            error = errors.get(directory);
        }
        if (list.isEmpty()) {
            return error == null ? Optional.empty() : Optional.of(new Progress(false, 0, 0, error));
        }
        // several instances may wait on the same transfers: the largest download of the directory speaks for all
        Active largest = list.stream().max((a, b) -> Long.compare(a.total(), b.total())).orElseThrow();
        return Optional.of(new Progress(true, largest.done().getAsLong(), largest.total(), error));
    }

    /** The directories with a download in flight or failed. */
    public synchronized List<Path> directories() {
        List<Path> all = new ArrayList<>(active.keySet());
        errors.keySet().stream().filter(d -> !active.containsKey(d)).forEach(all::add);
        return all;
    }
}
