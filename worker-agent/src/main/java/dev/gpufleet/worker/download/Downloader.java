package dev.gpufleet.worker.download;

import dev.gpufleet.events.ModelSource;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleConsumer;

/**
 * Downloads models from Hugging Face and ModelScope into {@code <models-dir>/<hub>/<repo>/<path>}: lists the
 * repository, selects the files ({@link FileSelection}), checks free disk, then transfers the files, at most
 * {@code parallelFiles} at once. A file already being transferred for another instance is not fetched twice: the
 * second instance waits on the same {@link FileTransfer}.
 */
public final class Downloader implements ModelFiles, AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Downloader.class);
    private static final Duration LISTING_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration TICK = Duration.ofMillis(200);

    private final DownloadSettings settings;
    private final HubHttp http;
    private final ExecutorService planner;
    private final ExecutorService transfers;
    private final ScheduledExecutorService timer;
    /** in-flight transfers by target file; guarded by itself */
    private final Map<Path, FileTransfer> inFlight = new HashMap<>();
    private final DownloadTracker tracker;

    public Downloader(DownloadSettings settings) {
        this(settings, new DownloadTracker());
    }

    /** @param tracker told what is downloading into which repository directory, and what failed */
    public Downloader(DownloadSettings settings, DownloadTracker tracker) {
        this.settings = settings;
        this.tracker = tracker;
        this.http = new HubHttp(settings.connectTimeout());
        this.planner = Executors.newCachedThreadPool(daemon("gpufleet-download-plan"));
        this.transfers = Executors.newFixedThreadPool(settings.parallelFiles(), daemon("gpufleet-download"));
        this.timer = Executors.newSingleThreadScheduledExecutor(daemon("gpufleet-download-timer"));
        timer.scheduleWithFixedDelay(this::watchStalls, 1, 1, TimeUnit.SECONDS);
    }

    @Override
    public CompletableFuture<Prepared> prepare(String instance, ModelSource source, DoubleConsumer progress) {
        return prepare(instance, source, null, progress);
    }

    @Override
    public CompletableFuture<Prepared> prepare(String instance, ModelSource source, String userProjector,
                                               DoubleConsumer progress) {
        CompletableFuture<Prepared> result = new CompletableFuture<>();
        List<FileTransfer> held = new ArrayList<>();
        result.whenComplete((prepared, failure) -> {
            if (failure instanceof CancellationException) {
                release(held);
            }
        });
        Path directory = directoryOf(settings.modelsDir(), source);
        try {
            planner.execute(() -> {
                try {
                    start(instance, source, userProjector, progress, result, held);
                } catch (DownloadException e) {
                    failedEarly(directory, e.getMessage());
                    result.completeExceptionally(e);
                } catch (IOException | RuntimeException e) {
                    DownloadException failure = new DownloadException("cannot download the model: " + e);
                    failedEarly(directory, failure.getMessage());
                    result.completeExceptionally(failure);
                }
            });
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(new CancellationException("the agent is shutting down"));
        }
        return result;
    }

    private void failedEarly(Path directory, String message) {
        if (directory != null) {
            tracker.failed(directory, null, message);
        }
    }

    /**
     * Where the files of a hub source land: {@code <modelsDir>/<hub>/<repo>}; null for a source that is not
     * downloaded or names no valid repository.
     */
    public static Path directoryOf(Path modelsDir, ModelSource source) {
        if (source == null) {
            return null;
        }
        String repo = ModelFiles.HUGGINGFACE.equals(source.type()) ? source.repoId()
                : ModelFiles.MODELSCOPE.equals(source.type()) ? source.modelId() : null;
        try {
            return repo == null ? null : modelsDir.resolve(source.type()).resolve(HubHttp.checkRepo(repo, "repo"))
                    .normalize();
        } catch (DownloadException e) {
            return null;
        }
    }

    private record Repo(String type, Hub hub, String id, String revision, String pattern) {
        static Repo of(ModelSource source, DownloadSettings settings) throws DownloadException {
            if (ModelFiles.HUGGINGFACE.equals(source.type())) {
                return new Repo(source.type(), settings.huggingFace(), HubHttp.checkRepo(source.repoId(), "repoId"),
                        blankOr(source.revision(), "main"), source.fileName());
            }
            if (ModelFiles.MODELSCOPE.equals(source.type())) {
                return new Repo(source.type(), settings.modelScope(), HubHttp.checkRepo(source.modelId(), "modelId"),
                        blankOr(source.revision(), "master"), source.filePath());
            }
            throw new DownloadException("model source type '" + source.type() + "' is not downloaded");
        }

        String describe() {
            return hub.name() + " " + (type.equals(ModelFiles.HUGGINGFACE) ? "repository " : "model ") + id + "@"
                    + revision;
        }
    }

    private void start(String instance, ModelSource source, String userProjector, DoubleConsumer progress,
                       CompletableFuture<Prepared> result, List<FileTransfer> held)
            throws DownloadException, IOException {
        Repo repo = Repo.of(source, settings);
        String what = repo.describe();
        String listing = http.text(HubHttp.listing(repo.type, repo.hub, repo.id, repo.revision), repo.hub,
                LISTING_TIMEOUT, what);
        List<RemoteFile> files = repo.type.equals(ModelFiles.HUGGINGFACE) ? HubListing.huggingFace(listing, what)
                : HubListing.modelScope(listing, what);
        FileSelection selection = FileSelection.select(repo.pattern, files, userProjector);
        if (selection.problem() != null) {
            throw new DownloadException(what + ": " + selection.problem());
        }
        Path base = settings.modelsDir().resolve(repo.type).resolve(repo.id).normalize();
        Map<RemoteFile, Path> targets = new java.util.LinkedHashMap<>();
        for (RemoteFile file : selection.files()) {
            Path target = base.resolve(file.path()).normalize();
            if (!target.startsWith(base) || file.path().startsWith("/")) {
                throw new DownloadException(what + ": file path " + file.path() + " leaves the repository");
            }
            targets.put(file, target);
        }
        checkDisk(targets, base);
        long total = 0;
        synchronized (inFlight) {
            if (result.isDone()) {
                return; // cancelled while listing
            }
            for (Map.Entry<RemoteFile, Path> entry : targets.entrySet()) {
                RemoteFile file = entry.getKey();
                total += Math.max(0, file.size());
                held.add(acquire(file, entry.getValue(), HubHttp.file(repo.type, repo.hub, repo.id, repo.revision,
                        file.path()), repo.hub));
            }
        }
        LOG.infof("Instance %s needs %d file(s) of %s (%s)", instance, held.size(), what, DiskCheck.size(total));
        ProgressThrottle throttle = new ProgressThrottle(settings.progressEvery());
        long totalBytes = total;
        Runnable tick = () -> {
            long done = held.stream().mapToLong(t -> t.done.get()).sum();
            double fraction = throttle.next(done, totalBytes, System.nanoTime());
            if (fraction >= 0 && !result.isDone()) {
                progress.accept(fraction);
            }
        };
        ScheduledFuture<?> ticker = timer.scheduleAtFixedRate(tick, 0, TICK.toMillis(), TimeUnit.MILLISECONDS);
        List<FileTransfer> waitedOn = List.copyOf(held);
        Object tracked = tracker.started(base, totalBytes,
                () -> waitedOn.stream().mapToLong(t -> t.done.get()).sum());
        CompletableFuture.allOf(held.stream().map(t -> t.result).toArray(CompletableFuture[]::new))
                .whenComplete((ignored, failure) -> {
                    ticker.cancel(false);
                    if (failure != null) {
                        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                                ? failure.getCause() : failure;
                        if (!(cause instanceof DownloadException) && !(cause instanceof CancellationException)) {
                            cause = new DownloadException(what + ": " + cause);
                        }
                        tracker.failed(base, tracked, cause instanceof CancellationException ? null
                                : cause.getMessage());
                        result.completeExceptionally(cause);
                        release(held); // the other files need not go on for this instance
                    } else {
                        tracker.finished(base, tracked);
                        Path model = selection.model() == null ? base : targets.get(selection.model());
                        result.complete(new Prepared(model,
                                selection.mmproj() == null ? null : targets.get(selection.mmproj())));
                    }
                });
    }

    private void checkDisk(Map<RemoteFile, Path> targets, Path base) throws IOException, DownloadException {
        long needed = 0;
        synchronized (inFlight) {
            for (Map.Entry<RemoteFile, Path> entry : targets.entrySet()) {
                long size = entry.getKey().size();
                Path target = entry.getValue();
                if (size < 0 || inFlight.containsKey(target)
                        || (Files.isRegularFile(target) && Files.size(target) == size)) {
                    continue;
                }
                Path part = FileTransfer.partOf(target);
                needed += size - (Files.isRegularFile(part) ? Math.min(size, Files.size(part)) : 0);
            }
        }
        Path existing = base;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            return;
        }
        String problem = DiskCheck.problem(needed, settings.diskMargin(), Files.getFileStore(existing)
                .getUsableSpace(), existing);
        if (problem != null) {
            throw new DownloadException(problem);
        }
    }

    /** Under the registry lock. */
    private FileTransfer acquire(RemoteFile file, Path target, URI uri, Hub hub) {
        FileTransfer transfer = inFlight.get(target);
        if (transfer == null) {
            FileTransfer created = new FileTransfer(file, target, uri, hub, http, settings);
            inFlight.put(target, created);
            created.result.whenComplete((path, failure) -> {
                synchronized (inFlight) {
                    inFlight.remove(target, created);
                }
            });
            try {
                transfers.execute(created::run);
            } catch (RejectedExecutionException e) {
                created.result.completeExceptionally(new CancellationException("the agent is shutting down"));
            }
            transfer = created;
        }
        transfer.users++;
        return transfer;
    }

    private void release(List<FileTransfer> held) {
        synchronized (inFlight) {
            for (FileTransfer transfer : held) {
                if (--transfer.users == 0 && !transfer.result.isDone()) {
                    LOG.infof("Nobody waits for %s any more; its transfer stops (the part file is kept)",
                            transfer.file.path());
                    inFlight.remove(transfer.target, transfer);
                    transfer.cancel();
                }
            }
            held.clear();
        }
    }

    private void watchStalls() {
        long now = System.nanoTime();
        List<FileTransfer> current;
        synchronized (inFlight) {
            current = new ArrayList<>(inFlight.values());
        }
        current.forEach(t -> t.checkStalled(now));
    }

    /** Stops every transfer; part files stay, and the next agent resumes them. */
    @Override
    public void close() {
        synchronized (inFlight) {
            inFlight.values().forEach(FileTransfer::cancel);
            inFlight.clear();
        }
        planner.shutdownNow();
        transfers.shutdownNow();
        timer.shutdownNow();
        try {
            transfers.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String blankOr(String value, String fallback) {
        return value == null || value.isBlank() ? fallback : value;
    }

    private static ThreadFactory daemon(String name) {
        return task -> {
            Thread thread = new Thread(task, name);
            thread.setDaemon(true);
            return thread;
        };
    }
}
