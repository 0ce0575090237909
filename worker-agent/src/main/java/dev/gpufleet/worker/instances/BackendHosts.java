package dev.gpufleet.worker.instances;

import dev.gpufleet.worker.backend.BackendLaunch;
import dev.gpufleet.worker.backend.BinaryVersions;
import dev.gpufleet.worker.backend.LaunchPlanner;
import dev.gpufleet.worker.backend.ModelOverlay;
import dev.gpufleet.worker.backend.PortRange;
import dev.gpufleet.worker.backend.RpcServers;
import dev.gpufleet.worker.host.Platform;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Supplier;
import java.util.stream.Stream;

/** The real host behind {@link LaunchPlanner.Host}: files, directories, binaries and their versions. */
final class BackendHosts {
    private static final BinaryVersions VERSIONS = new BinaryVersions(Duration.ofSeconds(5));
    private static final long MAX_CONFIG_BYTES = 1 << 20;

    private BackendHosts() {
    }

    static LaunchPlanner.Host of(SupervisorSettings settings, Supplier<OptionalInt> freePort,
                                 String portRangeProblem) {
        PortRange rpcRange;
        try {
            rpcRange = PortRange.parse(settings.rpcPortRange());
        } catch (IllegalArgumentException e) {
            rpcRange = PortRange.parse(RpcServers.DEFAULT_RANGE);
        }
        return new LaunchPlanner.Host(
                backend -> backend.equals(LaunchPlanner.LLAMA_BOX) ? settings.binaries().get()
                        : settings.backendBinaries().apply(backend),
                settings.backendHost(), settings.devices().get(),
                path -> Files.isRegularFile(path) && Files.isReadable(path),
                path -> Files.isDirectory(path) && Files.isReadable(path),
                BackendHosts::list, BackendHosts::read, freePort, portRangeProblem, settings.clusterToken(),
                settings.dataDir(), rpcRange, workerId -> Optional.empty(), VERSIONS::of,
                Platform.os(System.getProperty("os.name", "")),
                Platform.arch(System.getProperty("os.arch", "")), settings.ray(), settings.mindie());
    }

    /** Writes a launch's files (config files may hold the API key: owner-only). */
    /** The launch's model overlays (see {@link ModelOverlay}), then its files. */
    static void prepare(BackendLaunch launch) throws IOException {
        for (Map.Entry<String, String> overlay : launch.overlays().entrySet()) {
            ModelOverlay.link(Path.of(overlay.getValue()), Path.of(overlay.getKey()), replaced(launch.files(),
                    Path.of(overlay.getKey())));
        }
        writeFiles(launch.files());
    }

    private static java.util.Set<String> replaced(Map<String, String> files, Path overlay) {
        java.util.Set<String> names = new java.util.HashSet<>();
        for (String file : files.keySet()) {
            Path p = Path.of(file);
            if (overlay.equals(p.getParent())) {
                names.add(p.getFileName().toString());
            }
        }
        return names;
    }

    static void writeFiles(Map<String, String> files) throws IOException {
        for (Map.Entry<String, String> file : files.entrySet()) {
            Path path = Path.of(file.getKey());
            Files.createDirectories(path.getParent());
            Files.writeString(path, file.getValue(), StandardCharsets.UTF_8);
            try {
                Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-r-----"));
            } catch (UnsupportedOperationException e) {
                // not a POSIX file system: its defaults apply
            }
        }
    }

    private static List<String> list(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }

    private static Optional<String> read(Path file) {
        try {
            if (!Files.isRegularFile(file) || Files.size(file) > MAX_CONFIG_BYTES) {
                return Optional.empty();
            }
            return Optional.of(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
