package dev.gpufleet.scheduler.placement.shape;

import dev.gpufleet.scheduler.placement.Gib;

/**
 * What a worker lacks for its part of a candidate; kept where manual GPU selection may overcommit, and shown per
 * worker when it may not.
 */
public sealed interface Shortfall {

    /** The name of the worker that lacks it. */
    String workerName();

    /** What it lacks, without the worker's name. */
    String detail();

    /** "worker detail", as an overcommit warning lists it. */
    default String message() {
        return workerName() + " " + detail();
    }

    /** A GPU with less allocatable VRAM than the candidate's claim on it. */
    record Vram(String workerName, int gpuIndex, long needBytes, long allocatableBytes) implements Shortfall {
        @Override
        public String detail() {
            return "GPU " + gpuIndex + " needs " + Gib.of(needBytes) + ", " + Gib.of(allocatableBytes)
                    + " allocatable";
        }
    }

    /** Less allocatable host RAM than the candidate's claim. */
    record Ram(String workerName, long needBytes, long allocatableBytes) implements Shortfall {
        @Override
        public String detail() {
            return "needs " + Gib.of(needBytes) + " RAM, " + Gib.of(allocatableBytes) + " allocatable";
        }
    }

    /** Less allocatable host RAM than a subordinate worker's llama.cpp RPC servers hold. */
    record RpcServerRam(String workerName, long needBytes, long allocatableBytes) implements Shortfall {
        @Override
        public String detail() {
            return "needs " + Gib.of(needBytes) + " RAM for its RPC servers, " + Gib.of(allocatableBytes)
                    + " allocatable";
        }
    }

    /** A device smaller than a sharded engine's share of the model on each of {@code devices}. */
    record DeviceSize(String workerName, int gpuIndex, long totalBytes, int devices, long perDeviceBytes)
            implements Shortfall {
        @Override
        public String detail() {
            return "GPU " + gpuIndex + " has " + Gib.of(totalBytes) + ", each of " + devices + " needs "
                    + Gib.of(perDeviceBytes);
        }
    }
}
