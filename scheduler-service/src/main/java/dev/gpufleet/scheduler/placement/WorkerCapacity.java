package dev.gpufleet.scheduler.placement;

import dev.gpufleet.events.ResourceClaim;
import dev.gpufleet.events.WorkerState;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A worker as placement sees it: its state, platform and labels, host RAM and GPUs, each with what our instances
 * on it already claim.
 *
 * @param distributedVllmModels models whose distributed (Ray) vLLM instances this worker already takes part in
 * @param distributedMindieModels models whose MindIE instances across workers this worker already takes part in
 *                              (every node listens on the same {@code multiNodesInferPort}, so one per worker)
 * @param backendVersions the engine versions the worker has, {@code "<backend> <version>"} each (reported by its
 *                        agent or registered by an operator)
 */
public record WorkerCapacity(String id, String name, WorkerState state, String os, String arch,
                             Map<String, String> labels, long ramTotalBytes, long ramUsedBytes, long ramClaimedBytes,
                             List<GpuCapacity> gpus, Set<String> distributedVllmModels,
                             Set<String> distributedMindieModels, Set<String> backendVersions,
                             Set<String> modelFiles) {

    public WorkerCapacity {
        modelFiles = modelFiles == null ? Set.of() : Set.copyOf(modelFiles);
        backendVersions = backendVersions == null ? Set.of() : Set.copyOf(backendVersions);
        labels = labels == null ? Map.of() : Map.copyOf(labels);
        gpus = gpus == null ? List.of() : List.copyOf(gpus);
        distributedVllmModels = distributedVllmModels == null ? Set.of()
                : Set.copyOf(distributedVllmModels);
        distributedMindieModels = distributedMindieModels == null ? Set.of()
                : Set.copyOf(distributedMindieModels);
    }

    /** A worker whose model files are not known. */
    public WorkerCapacity(String id, String name, WorkerState state, String os, String arch,
                          Map<String, String> labels, long ramTotalBytes, long ramUsedBytes, long ramClaimedBytes,
                          List<GpuCapacity> gpus, Set<String> distributedVllmModels,
                          Set<String> distributedMindieModels, Set<String> backendVersions) {
        this(id, name, state, os, arch, labels, ramTotalBytes, ramUsedBytes, ramClaimedBytes, gpus,
                distributedVllmModels, distributedMindieModels, backendVersions, Set.of());
    }

    public WorkerCapacity(String id, String name, WorkerState state, String os, String arch,
                          Map<String, String> labels, long ramTotalBytes, long ramUsedBytes, long ramClaimedBytes,
                          List<GpuCapacity> gpus, Set<String> distributedVllmModels,
                          Set<String> distributedMindieModels) {
        this(id, name, state, os, arch, labels, ramTotalBytes, ramUsedBytes, ramClaimedBytes, gpus,
                distributedVllmModels, distributedMindieModels, Set.of());
    }

    /** The key of an engine version in {@link #backendVersions()}. */
    public static String versionKey(String backend, String version) {
        return backend + " " + version;
    }

    /** The same worker with these engine versions. */
    public WorkerCapacity withBackendVersions(Set<String> versions) {
        return new WorkerCapacity(id, name, state, os, arch, labels, ramTotalBytes, ramUsedBytes, ramClaimedBytes,
                gpus, distributedVllmModels, distributedMindieModels, versions, modelFiles);
    }

    /** The same worker holding the files of these model sources ({@link dev.gpufleet.events.ModelFileSet#key()}). */
    public WorkerCapacity withModelFiles(Set<String> keys) {
        return new WorkerCapacity(id, name, state, os, arch, labels, ramTotalBytes, ramUsedBytes, ramClaimedBytes,
                gpus, distributedVllmModels, distributedMindieModels, backendVersions, keys);
    }

    /** A worker in no MindIE instance across workers. */
    public WorkerCapacity(String id, String name, WorkerState state, String os, String arch,
                          Map<String, String> labels, long ramTotalBytes, long ramUsedBytes, long ramClaimedBytes,
                          List<GpuCapacity> gpus, Set<String> distributedVllmModels) {
        this(id, name, state, os, arch, labels, ramTotalBytes, ramUsedBytes, ramClaimedBytes, gpus,
                distributedVllmModels, Set.of());
    }

    public long allocatableRamBytes(PlacementSettings settings) {
        return settings.allocatable(ramTotalBytes, settings.ramReservedBytes(), ramUsedBytes, ramClaimedBytes);
    }

    /** The same worker once {@code claim} is held on it too ({@code sign} −1 gives it back). */
    public WorkerCapacity withClaim(ResourceClaim claim, int sign) {
        List<GpuCapacity> claimed = gpus.stream()
                .map(gpu -> gpu.withClaim(sign * claim.vramBytesByGpu().getOrDefault(gpu.index(), 0L)))
                .toList();
        return new WorkerCapacity(id, name, state, os, arch, labels, ramTotalBytes, ramUsedBytes,
                ramClaimedBytes + sign * claim.ramBytes(), claimed, distributedVllmModels, distributedMindieModels,
                backendVersions, modelFiles);
    }

    public WorkerCapacity withState(WorkerState newState) {
        return new WorkerCapacity(id, name, newState, os, arch, labels, ramTotalBytes, ramUsedBytes, ramClaimedBytes,
                gpus, distributedVllmModels, distributedMindieModels, backendVersions, modelFiles);
    }

    public WorkerCapacity withDistributedVllm(String modelId, boolean joined) {
        return new WorkerCapacity(id, name, state, os, arch, labels, ramTotalBytes, ramUsedBytes, ramClaimedBytes,
                gpus, joinedOrLeft(distributedVllmModels, modelId, joined), distributedMindieModels, backendVersions,
                modelFiles);
    }

    public WorkerCapacity withDistributedMindie(String modelId, boolean joined) {
        return new WorkerCapacity(id, name, state, os, arch, labels, ramTotalBytes, ramUsedBytes, ramClaimedBytes,
                gpus, distributedVllmModels, joinedOrLeft(distributedMindieModels, modelId, joined),
                backendVersions, modelFiles);
    }

    private static Set<String> joinedOrLeft(Set<String> models, String modelId, boolean joined) {
        Set<String> out = new TreeSet<>(models);
        if (joined) {
            out.add(modelId);
        } else {
            out.remove(modelId);
        }
        return out;
    }
}
