package dev.gpufleet.worker.modelfiles;

import dev.gpufleet.events.ModelDirectory;
import dev.gpufleet.events.ModelFileSet;
import dev.gpufleet.events.ModelSource;
import dev.gpufleet.worker.download.DownloadTracker;
import dev.gpufleet.worker.download.Downloader;
import dev.gpufleet.worker.download.ModelFiles;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The model file sets on this worker: each hub repository directory under {@code <models-dir>/<hub>/<owner>/<name>}
 * (what the {@link Downloader} fetched, found on disk, so they survive the agent's restarts), and each local path an
 * instance placed here serves. When an instance last used a set is kept as its directory's modification time,
 * refreshed at every report while one does, so it too survives restarts. Only downloaded sets are ever deleted, never
 * one an instance uses or one downloading.
 */
public final class ModelFileSets {
    private static final Logger LOG = Logger.getLogger(ModelFileSets.class);
    private static final List<String> HUBS = List.of(ModelSource.HUGGINGFACE, ModelSource.MODELSCOPE);

    /** The heartbeat's part: every set, and the models directory's disk. */
    public record Report(List<ModelFileSet> sets, ModelDirectory directory) {
    }

    /** What a delete did. */
    public enum Outcome { DELETED, NOT_FOUND, IN_USE, DOWNLOADING, NOT_DOWNLOADED }

    public record Deletion(Outcome outcome, String message) {
    }

    private final Path modelsDir;
    private final String workerId;
    private final DownloadTracker tracker;
    private final Clock clock;

    public ModelFileSets(Path modelsDir, String workerId, DownloadTracker tracker, Clock clock) {
        this.modelsDir = modelsDir.toAbsolutePath().normalize();
        this.workerId = workerId;
        this.tracker = tracker;
        this.clock = clock;
    }

    public Path modelsDir() {
        return modelsDir;
    }

    /**
     * @param inUse the model source of each instance placed on this worker, by instance id
     */
    public synchronized Report report(Map<String, ModelSource> inUse) {
        Map<Path, Place> places = places(inUse);
        List<ModelFileSet> sets = new ArrayList<>();
        long used = 0;
        for (Place place : places.values()) {
            ModelFileSet set = describe(place);
            sets.add(set);
            if (place.downloaded()) {
                used += set.sizeBytes();
            }
        }
        long free = 0;
        long total = 0;
        try {
            FileStore store = Files.getFileStore(existing(modelsDir));
            free = store.getUsableSpace();
            total = store.getTotalSpace();
        } catch (IOException e) {
            LOG.debugf("Cannot read the disk of %s: %s", modelsDir, e.toString());
        }
        return new Report(sets, new ModelDirectory(modelsDir.toString(), used, free, total));
    }

    /** Deletes the set {@code id} unless an instance uses it, it is downloading, or it is not the agent's to delete. */
    public synchronized Deletion delete(String id, Map<String, ModelSource> inUse) {
        Place place = places(inUse).values().stream().filter(p -> idOf(p).equals(id)).findFirst().orElse(null);
        if (place == null) {
            return new Deletion(Outcome.NOT_FOUND, "no model file set " + id + " on this worker");
        }
        if (!place.downloaded()) {
            return new Deletion(Outcome.NOT_DOWNLOADED, "model files " + id + " are the local path " + place.path()
                    + ", which gpufleet did not download and never deletes");
        }
        if (!place.instances().isEmpty()) {
            return new Deletion(Outcome.IN_USE, "model files " + id + " (" + place.path() + ") are used by instance(s) "
                    + String.join(", ", place.instances()) + "; delete or move those first");
        }
        Optional<DownloadTracker.Progress> progress = tracker.progress(place.path());
        if (progress.isPresent() && progress.get().inFlight()) {
            return new Deletion(Outcome.DOWNLOADING, "model files " + id + " are downloading; delete them once the "
                    + "download has ended");
        }
        remove(place.path());
        return new Deletion(Outcome.DELETED, null);
    }

    /**
     * Removes sets nobody used for {@code unusedAfter} while the models disk has less than {@code minFreeBytes} free,
     * oldest first ({@link Eviction}).
     *
     * @return the ids removed
     */
    public synchronized List<String> evict(Map<String, ModelSource> inUse, long minFreeBytes, Duration unusedAfter) {
        Report report = report(inUse);
        List<Eviction.Candidate> candidates = report.sets().stream()
                .map(s -> new Eviction.Candidate(s.id(), s.sizeBytes(), s.lastUsedAt(), s.inUse(),
                        s.downloaded() && s.state() != ModelFileSet.State.DOWNLOADING))
                .toList();
        List<String> chosen = Eviction.choose(candidates, report.directory().freeBytes(), minFreeBytes, unusedAfter,
                clock.instant());
        for (String id : chosen) {
            ModelFileSet set = report.sets().stream().filter(s -> s.id().equals(id)).findFirst().orElseThrow();
            LOG.infof("Removing model files %s (%s, %d bytes): no instance used them since %s and %s has less than "
                            + "%d bytes free (gpufleet.worker.model-files.min-free)", id, set.path(), set.sizeBytes(),
                    set.lastUsedAt(), modelsDir, minFreeBytes);
            remove(Path.of(set.path()));
        }
        return chosen;
    }

    /** One set's place on disk, and the instances using it. */
    private record Place(Path path, String source, String repo, boolean downloaded, List<String> instances) {
    }

    private Map<Path, Place> places(Map<String, ModelSource> inUse) {
        Map<Path, Place> places = new LinkedHashMap<>();
        for (String hub : HUBS) {
            for (Path owner : children(modelsDir.resolve(hub))) {
                for (Path repo : children(owner)) {
                    places.put(repo, new Place(repo, hub, owner.getFileName() + "/" + repo.getFileName(), true,
                            new ArrayList<>()));
                }
            }
        }
        for (Path directory : tracker.directories()) {
            Path relative = modelsDir.relativize(directory);
            if (relative.getNameCount() == 3) {
                places.putIfAbsent(directory, new Place(directory, relative.getName(0).toString(),
                        relative.getName(1) + "/" + relative.getName(2), true, new ArrayList<>()));
            }
        }
        Map<String, ModelSource> ordered = new TreeMap<>(inUse);
        ordered.forEach((instance, source) -> {
            Path downloaded = Downloader.directoryOf(modelsDir, source);
            Place place;
            if (downloaded != null) {
                String repo = ModelSource.HUGGINGFACE.equals(source.type()) ? source.repoId() : source.modelId();
                place = places.computeIfAbsent(downloaded, d -> new Place(d, source.type(), repo, true,
                        new ArrayList<>()));
            } else if (ModelSource.LOCAL_PATH.equals(source.type()) && source.path() != null
                    && !source.path().isBlank()) {
                Path local = Path.of(source.path()).toAbsolutePath().normalize();
                place = places.computeIfAbsent(local, d -> new Place(d, ModelSource.LOCAL_PATH, null, false,
                        new ArrayList<>()));
            } else {
                return;
            }
            place.instances().add(instance);
        });
        return places;
    }

    private ModelFileSet describe(Place place) {
        Instant now = clock.instant();
        TreeSet<String> files = new TreeSet<>();
        long size = 0;
        int parts = 0;
        Path path = place.path();
        if (Files.isRegularFile(path)) {
            size = sizeOf(path);
        } else if (Files.isDirectory(path)) {
            try (Stream<Path> walk = Files.walk(path)) {
                for (Path file : (Iterable<Path>) walk.filter(Files::isRegularFile)::iterator) {
                    size += sizeOf(file);
                    String name = path.relativize(file).toString().replace('\\', '/');
                    if (name.endsWith(ModelFiles.PART_SUFFIX)) {
                        parts++;
                        name = name.substring(0, name.length() - ModelFiles.PART_SUFFIX.length());
                    }
                    files.add(name);
                }
            } catch (IOException | UncheckedIOException e) {
                LOG.debugf("Cannot list %s: %s", path, e.toString());
            }
        }
        Instant lastUsed = null;
        if (Files.exists(path)) {
            try {
                if (!place.instances().isEmpty()) {
                    Files.setLastModifiedTime(path, FileTime.from(now));
                }
                lastUsed = Files.getLastModifiedTime(path).toInstant();
            } catch (IOException e) {
                LOG.debugf("Cannot read or set the time of %s: %s", path, e.toString());
            }
        }
        SetState.Mapped state = place.downloaded()
                ? SetState.of(tracker.progress(path).orElse(null), parts)
                : Files.exists(path) ? SetState.of(null, 0)
                : new SetState.Mapped(ModelFileSet.State.ERROR, null, null, "the local path " + path
                + " does not exist on this worker");
        return new ModelFileSet(idOf(place), place.source(), place.repo(), List.copyOf(files), path.toString(), size,
                state.state(), state.progressBytes(), state.totalBytes(), state.message(), lastUsed,
                List.copyOf(place.instances()));
    }

    private String idOf(Place place) {
        String key = place.source() + "\n" + (place.downloaded() ? modelsDir.relativize(place.path()) : place.path());
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.replace('\\', '/')
                    .getBytes(StandardCharsets.UTF_8));
            return workerId + ":" + HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private void remove(Path directory) {
        if (!directory.startsWith(modelsDir) || directory.equals(modelsDir)) {
            throw new IllegalStateException(directory + " is not under " + modelsDir);
        }
        try (Stream<Path> walk = Files.walk(directory)) {
            for (Path file : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(file);
            }
        } catch (IOException | UncheckedIOException e) {
            throw new IllegalStateException("could not delete " + directory + ": " + e, e);
        }
        tracker.forget(directory);
        Path owner = directory.getParent();
        try (DirectoryStream<Path> left = Files.newDirectoryStream(owner)) {
            if (!left.iterator().hasNext()) {
                Files.deleteIfExists(owner);
            }
        } catch (IOException e) {
            LOG.debugf("Leaving %s: %s", owner, e.toString());
        }
    }

    private static List<Path> children(Path directory) {
        if (!Files.isDirectory(directory)) {
            return List.of();
        }
        try (Stream<Path> list = Files.list(directory)) {
            return list.filter(Files::isDirectory).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private static long sizeOf(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return 0;
        }
    }

    private static Path existing(Path path) {
        Path existing = path;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        return existing == null ? path : existing;
    }
}
