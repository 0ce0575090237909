package dev.gpufleet.scheduler.instances;

import dev.gpufleet.events.GpuDevice;
import dev.gpufleet.events.SubordinateWorker;
import dev.gpufleet.scheduler.workers.Worker;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * How the workers of a placed instance reach each other, as their latest heartbeats say at placement: each worker's
 * address, and the device IPs of the GPUs it holds (Ascend NPUs' RoCE addresses, which multi-node MindIE's rank
 * table lists). Recorded in the {@link Assignment}, so every later InstanceChanged of the instance carries them.
 */
final class PlacementAddresses {
    private PlacementAddresses() {
    }

    /** The address the worker's heartbeat gave; null when it gave none or the worker is unknown. */
    static String addressOf(String workerId, List<Worker> workers) {
        return worker(workerId, workers).map(w -> w.address).filter(a -> a != null && !a.isBlank()).orElse(null);
    }

    /** The device IPs of the worker's GPUs among {@code gpuIndexes}, by GPU index; GPUs without one are left out. */
    static Map<Integer, String> deviceIps(String workerId, List<Integer> gpuIndexes, List<Worker> workers) {
        Map<Integer, String> ips = new TreeMap<>();
        worker(workerId, workers).filter(w -> w.gpus != null).ifPresent(w -> {
            for (GpuDevice gpu : w.gpus.devices()) {
                if (gpuIndexes.contains(gpu.index()) && gpu.deviceIp() != null && !gpu.deviceIp().isBlank()) {
                    ips.put(gpu.index(), gpu.deviceIp());
                }
            }
        });
        return ips;
    }

    /** Subordinate workers as the main worker's agent needs them: with their addresses and device IPs. */
    static List<SubordinateWorker> subordinates(List<SubordinateWorker> subordinates, List<Worker> workers) {
        return subordinates.stream().map(sub -> sub.withAddress(addressOf(sub.workerId(), workers))
                .withDeviceIps(deviceIps(sub.workerId(), sub.gpuIndexes(), workers))).toList();
    }

    private static Optional<Worker> worker(String workerId, List<Worker> workers) {
        return workers.stream().filter(w -> w.id != null && w.id.equals(workerId)).findFirst();
    }
}
