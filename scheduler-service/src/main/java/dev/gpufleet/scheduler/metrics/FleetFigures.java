package dev.gpufleet.scheduler.metrics;

import dev.gpufleet.scheduler.instances.InstanceReconciler;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What operators ask of the fleet, computed from rows of the scheduler's tables: instances by model and state,
 * PENDING ones by model and reason, restarts after errors, workers by state and the age of their last heartbeat,
 * and the GPU memory placements claim per worker and GPU. Pure: rows and the time in, figures out.
 */
public record FleetFigures(Map<List<String>, Long> instancesByModelAndState,
                           Map<List<String>, Long> pendingByModelAndReason,
                           Map<String, Long> recentRestartsByModel,
                           Map<String, Long> workersByState,
                           Map<String, Double> heartbeatAgeSecondsByWorker,
                           Map<List<String>, Long> claimedVramBytesByWorkerAndGpu) {

    /** One row of scheduler.instance; vramBytesByGpu is the claim on its worker's GPUs (empty while PENDING). */
    public record InstanceRow(String model, String state, String stateMessage, int recentRestarts, String worker,
                              Map<Integer, Long> vramBytesByGpu) {
    }

    public record WorkerRow(String name, String state, Instant lastHeartbeatAt) {
    }

    /** Why an instance is PENDING, in a few words fit for a label (the full text is on the instance). */
    public enum PendingReason {
        /** Just made, not yet tried. */
        waiting_for_placement,
        /** A make-before-break replacement of a running instance. */
        replacing,
        /** Tried: no worker has room or matches (the instance's message says which and why). */
        no_fit;

        public static PendingReason of(String stateMessage) {
            if (stateMessage == null || stateMessage.equals(InstanceReconciler.WAITING_FOR_PLACEMENT)) {
                return waiting_for_placement;
            }
            if (stateMessage.startsWith("replaces ")) {
                return replacing;
            }
            return no_fit;
        }
    }

    public static FleetFigures of(List<InstanceRow> instances, List<WorkerRow> workers, Instant now) {
        Map<List<String>, Long> byState = new TreeMap<>(FleetFigures::compare);
        Map<List<String>, Long> pending = new TreeMap<>(FleetFigures::compare);
        Map<String, Long> restarts = new TreeMap<>();
        Map<List<String>, Long> claimed = new TreeMap<>(FleetFigures::compare);
        for (InstanceRow i : instances) {
            byState.merge(List.of(i.model(), i.state()), 1L, Long::sum);
            if (i.state().equals("PENDING")) {
                pending.merge(List.of(i.model(), PendingReason.of(i.stateMessage()).name()), 1L, Long::sum);
            }
            restarts.merge(i.model(), (long) i.recentRestarts(), Math::max);
            if (i.worker() != null && i.vramBytesByGpu() != null) {
                i.vramBytesByGpu().forEach((gpu, bytes) ->
                        claimed.merge(List.of(i.worker(), Integer.toString(gpu)), bytes, Long::sum));
            }
        }
        Map<String, Long> workerStates = new TreeMap<>();
        Map<String, Double> ages = new TreeMap<>();
        for (WorkerRow w : workers) {
            workerStates.merge(w.state(), 1L, Long::sum);
            ages.put(w.name(), Math.max(0, Duration.between(w.lastHeartbeatAt(), now).toMillis() / 1000.0));
        }
        return new FleetFigures(byState, pending, restarts, workerStates, ages, claimed);
    }

    private static int compare(List<String> a, List<String> b) {
        return String.join("\u0000", a).compareTo(String.join("\u0000", b));
    }
}
