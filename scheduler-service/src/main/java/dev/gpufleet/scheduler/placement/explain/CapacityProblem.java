package dev.gpufleet.scheduler.placement.explain;

import dev.gpufleet.events.ShardedSizing;
import dev.gpufleet.scheduler.placement.Backend;
import dev.gpufleet.scheduler.placement.Gib;
import dev.gpufleet.scheduler.placement.WorkerFacts;
import dev.gpufleet.scheduler.placement.shape.GroupRules;
import dev.gpufleet.scheduler.placement.shape.Needs;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/** Why a worker the filters let through holds no candidate: the single-device need against what it has. */
final class CapacityProblem {
    private final Needs needs;
    private final boolean distributedInference;

    CapacityProblem(Needs needs, boolean distributedInference) {
        this.needs = needs;
        this.distributedInference = distributedInference;
    }

    String of(WorkerFacts f) {
        Backend backend = needs.backend();
        String cpu = "needs " + Gib.of(needs.cpuRam()) + " RAM, " + Gib.of(f.allocRam()) + " allocatable";
        int gpus = backend.usableGpus(f);
        if (gpus == 0) {
            return cpu;
        }
        long largest = 0;
        long sum = 0;
        for (int g = 0; g < f.gpuCount(); g++) {
            if (backend.canUse(f.gpu(g))) {
                largest = Math.max(largest, f.alloc(g));
                sum += f.alloc(g);
            }
        }
        ShardedSizing sharded = needs.sharded();
        String gpu;
        if (needs.userWorld() > 0) {
            int n = needs.userWorld();
            gpu = "backend_parameters set tensor × pipeline parallel size " + n + ": needs " + n + " GPUs of "
                    + Gib.of(sharded == null ? needs.singleVram() : sharded.perDeviceBytes(n)) + " with "
                    + Math.round(needs.fraction() * 100) + "% of each free, has " + gpus + " usable, largest free "
                    + Gib.of(largest);
        } else if (sharded != null) {
            gpu = "needs a GPU of " + Gib.of(sharded.perDeviceBytes(1)) + " with "
                    + Math.round(needs.fraction() * 100) + "% of it free, largest free GPU has " + Gib.of(largest);
        } else {
            gpu = "needs " + Gib.of(needs.singleVram()) + " VRAM, largest free GPU has " + Gib.of(largest);
        }
        if (gpus > 1 && needs.userWorld() == 0 && (needs.layered() != null || sharded != null)) {
            gpu += ", its " + gpus + " GPUs together " + Gib.of(sum);
        }
        if (needs.ramOnGpu() && f.allocRam() < needs.singleRam()) {
            gpu += ", and " + Gib.of(needs.singleRam()) + " RAM, " + Gib.of(f.allocRam()) + " allocatable";
        }
        if (backend == Backend.VLLM && distributedInference && !f.worker().distributedVllmModels().isEmpty()) {
            gpu += "; already in a distributed vLLM instance of "
                    + String.join(", ", f.worker().distributedVllmModels());
        }
        if (backend == Backend.MINDIE && distributedInference && sharded != null) {
            String across = mindieAcrossWorkers(f, sharded);
            if (!across.isEmpty()) {
                gpu += "; across workers: " + across;
            }
        }
        return needs.cpuAllowed() ? gpu + ", or " + Gib.of(needs.cpuRam()) + " RAM, " + Gib.of(f.allocRam())
                + " allocatable" : gpu;
    }

    /** What keeps a worker out of every MindIE group across workers, beyond its RAM; empty when nothing. */
    private String mindieAcrossWorkers(WorkerFacts f, ShardedSizing sharded) {
        List<String> parts = new ArrayList<>();
        List<Integer> withoutIp = new ArrayList<>();
        long largest = 0;
        for (int g = 0; g < f.gpuCount(); g++) {
            if (needs.backend().canUse(f.gpu(g))) {
                largest = Math.max(largest, f.gpu(g).totalBytes());
                if (f.gpu(g).deviceIp() == null) {
                    withoutIp.add(f.gpu(g).index());
                }
            }
        }
        if (!withoutIp.isEmpty()) {
            parts.add(withoutIp.size() == 1 ? "NPU " + withoutIp.get(0) + " has no device IP (hccn_tool)"
                    : "NPUs " + withoutIp.stream().map(String::valueOf).collect(Collectors.joining(", "))
                    + " have no device IP (hccn_tool)");
        }
        if (!f.worker().distributedMindieModels().isEmpty()) {
            parts.add("already in a MindIE instance across workers of "
                    + String.join(", ", f.worker().distributedMindieModels()));
        }
        int world = 1;
        while (world < GroupRules.MINDIE.maxWorldSize() && sharded.perDeviceBytes(world) > largest) {
            world <<= 1;
        }
        // power-of-two world sizes that divide the heads get fewer as they grow: one that fails, all above fail
        if (sharded.perDeviceBytes(world) <= largest && !sharded.allowsDeviceCount(world)) {
            parts.add("NPUs like these need a world size of at least " + world + ", and none from there divides"
                    + " the model's " + sharded.attentionHeads() + " attention heads");
        }
        return String.join("; ", parts);
    }
}
