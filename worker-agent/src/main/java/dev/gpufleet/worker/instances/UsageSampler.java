package dev.gpufleet.worker.instances;

import dev.gpufleet.events.GpuDevice;
import dev.gpufleet.events.ResourceClaim;
import dev.gpufleet.worker.devices.CommandRunner;
import dev.gpufleet.worker.devices.NvidiaComputeApps;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * What a running backend's processes hold: host RAM (the resident set of its process tree, from /proc) and VRAM per
 * GPU index (nvidia-smi's per-process memory, on NVIDIA hosts). The scheduler keeps the highest it sees per model
 * and GPU product and prefers it to the estimate. Never throws: what cannot be read counts as unknown.
 */
public final class UsageSampler {
    private static final Duration TOOL_TIMEOUT = Duration.ofSeconds(5);

    private final Function<Long, Optional<String>> procStatus;
    private final CommandRunner tools;

    public UsageSampler(Function<Long, Optional<String>> procStatus, CommandRunner tools) {
        this.procStatus = procStatus;
        this.tools = tools;
    }

    /** Reads /proc/<pid>/status; runs nvidia-smi through {@code tools} (null: no VRAM sampling). */
    public static UsageSampler forThisHost(CommandRunner tools) {
        return new UsageSampler(pid -> {
            try {
                return Optional.of(Files.readString(Path.of("/proc", Long.toString(pid), "status")));
            } catch (IOException | RuntimeException e) {
                return Optional.empty();
            }
        }, tools);
    }

    /** @return null when nothing could be measured */
    public ResourceClaim sample(ProcessHandle root, List<GpuDevice> devices, List<Integer> gpuIndexes) {
        Set<Long> pids = new HashSet<>();
        pids.add(root.pid());
        try (Stream<ProcessHandle> descendants = root.descendants()) {
            descendants.forEach(p -> pids.add(p.pid()));
        }
        long rss = 0;
        boolean anyRss = false;
        for (long pid : pids) {
            Optional<Long> bytes = procStatus.apply(pid).flatMap(UsageSampler::residentBytes);
            if (bytes.isPresent()) {
                rss += bytes.get();
                anyRss = true;
            }
        }
        Map<Integer, Long> vram = vram(pids, devices, gpuIndexes);
        if (!anyRss && vram.isEmpty()) {
            return null;
        }
        return new ResourceClaim(rss, vram);
    }

    private Map<Integer, Long> vram(Set<Long> pids, List<GpuDevice> devices, List<Integer> gpuIndexes) {
        Map<String, Integer> indexByUuid = new HashMap<>();
        for (GpuDevice device : devices) {
            if ("nvidia".equals(device.vendor()) && device.uuid() != null && gpuIndexes.contains(device.index())) {
                indexByUuid.put(device.uuid(), device.index());
            }
        }
        if (indexByUuid.isEmpty() || tools == null || tools.find("nvidia-smi").isEmpty()) {
            return Map.of();
        }
        Map<Long, Map<String, Long>> byPid;
        try {
            byPid = NvidiaComputeApps.parse(tools.run(NvidiaComputeApps.QUERY, TOOL_TIMEOUT));
        } catch (CommandRunner.ToolFailure e) {
            return Map.of();
        }
        Map<Integer, Long> vram = new HashMap<>();
        byPid.forEach((pid, byUuid) -> {
            if (pids.contains(pid)) {
                byUuid.forEach((uuid, bytes) -> {
                    Integer index = indexByUuid.get(uuid);
                    if (index != null) {
                        vram.merge(index, bytes, Long::sum);
                    }
                });
            }
        });
        return vram;
    }

    /** {@code VmRSS:   123456 kB} of a /proc/<pid>/status. */
    static Optional<Long> residentBytes(String status) {
        for (String line : status.split("\\R")) {
            if (line.startsWith("VmRSS:")) {
                String[] words = line.substring("VmRSS:".length()).trim().split("\\s+");
                try {
                    long value = Long.parseLong(words[0]);
                    return Optional.of(words.length > 1 && words[1].equalsIgnoreCase("kB") ? value * 1024 : value);
                } catch (NumberFormatException e) {
                    return Optional.empty();
                }
            }
        }
        return Optional.empty();
    }
}
