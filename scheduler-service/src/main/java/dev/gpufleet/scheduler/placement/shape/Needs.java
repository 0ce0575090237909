package dev.gpufleet.scheduler.placement.shape;

import dev.gpufleet.events.FixedSizing;
import dev.gpufleet.events.LayeredSizing;
import dev.gpufleet.events.ModelSizing;
import dev.gpufleet.events.ResourceEstimate;
import dev.gpufleet.events.ShapeMemory;
import dev.gpufleet.events.ShardedSizing;
import dev.gpufleet.scheduler.placement.Backend;
import dev.gpufleet.scheduler.placement.GpuCapacity;
import dev.gpufleet.scheduler.placement.PlacementRequest;

import java.util.List;
import java.util.Map;

/**
 * What one request needs, worked out once per decision from its estimate and backend: the whole model on one GPU
 * or on the CPU, one GPU's needs for every count of offloaded layers (llama-box), the device share of a sharded
 * engine (vLLM, MindIE). Without an estimate every need is 0 bytes.
 */
public final class Needs {
    private static final List<Double> ONE_GPU = List.of(1.0);

    private final Backend backend;
    private final boolean estimated;
    private final boolean cpuAllowed;
    private final Map<String, Long> measuredVramByProduct;
    private long singleVram;
    private long singleRam;
    private boolean ramOnGpu;
    private long cpuRam;
    // llama-box with layers
    private LayeredSizing layered;
    private long[] vramByLayers;
    private long[] ramByLayers;
    private long multiGpuLowerBound;
    private long smallestLayer;
    // vLLM, MindIE
    private ShardedSizing sharded;
    private double fraction = 1;
    private final int userWorld;

    public Needs(PlacementRequest request, Backend backend) {
        this.backend = backend;
        ResourceEstimate estimate = request.estimate();
        this.estimated = estimate != null;
        this.cpuAllowed = request.cpuOffloading() && backend.runsOnCpu();
        this.measuredVramByProduct = request.measuredVramByProduct();
        this.userWorld = backend == Backend.VLLM ? request.parallelism().worldSize() : 0;
        ModelSizing sizing = estimate == null ? null : estimate.sizing();
        singleVram = estimate == null ? 0 : estimate.vramBytes();
        cpuRam = estimate == null ? 0 : estimate.ramBytes();
        switch (backend) {
            case LLAMA_BOX -> {
                if (sizing != null && sizing.layered() != null && sizing.layered().layers() > 0) {
                    sizeLayered(sizing.layered());
                }
            }
            case VLLM, MINDIE -> {
                if (sizing != null && sizing.sharded() != null) {
                    sharded = sizing.sharded();
                    double f = sharded.usableFraction();
                    fraction = f > 0 && f <= 1 ? f : 1;
                    singleRam = sharded.ramBytes();
                    ramOnGpu = true;
                } else if (userWorld > 1) {
                    // the user's sizes decide the GPU count even before the registry has an estimate
                    sharded = new ShardedSizing(singleVram, 1, 0, 0, 0, false);
                }
            }
            case VOX_BOX -> {
                if (sizing != null && sizing.fixed() != null) {
                    FixedSizing fixed = sizing.fixed();
                    if (fixed.gpu() != null) {
                        singleVram = fixed.gpu().vramBytes();
                        singleRam = fixed.gpu().ramBytes();
                        ramOnGpu = true;
                    }
                    if (fixed.cpuOnly() != null) {
                        cpuRam = fixed.cpuOnly().ramBytes();
                    }
                }
            }
        }
    }

    private void sizeLayered(LayeredSizing sizing) {
        layered = sizing;
        int n = sizing.layers();
        vramByLayers = new long[n + 2];
        ramByLayers = new long[n + 2];
        // one GPU's needs for every -ngl, so partial offload is a binary search over an array
        for (int k = 0; k <= n + 1; k++) {
            ShapeMemory m = sizing.memoryFor(k, ONE_GPU);
            vramByLayers[k] = m.vramBytes()[0];
            ramByLayers[k] = m.ramBytes();
        }
        singleVram = vramByLayers[n + 1];
        singleRam = ramByLayers[n + 1];
        ramOnGpu = true;
        cpuRam = sizing.memoryFor(0, List.of()).ramBytes();
        long layers = 0;
        long smallest = Long.MAX_VALUE;
        for (long w : sizing.layerWeightBytes()) {
            layers += w + sizing.kvBytesPerLayer();
            smallest = Math.min(smallest, w + sizing.kvBytesPerLayer());
        }
        multiGpuLowerBound = layers + sizing.outputGpuBytes() + sizing.mmprojBytes();
        smallestLayer = smallest + sizing.layerComputeBytes();
    }

    public Backend backend() {
        return backend;
    }

    /** Whether the request has an estimate (without one every need is 0 bytes). */
    public boolean estimated() {
        return estimated;
    }

    /** Whether the instance may run on the CPU: CPU offloading on, and a backend that can. */
    public boolean cpuAllowed() {
        return cpuAllowed;
    }

    /** The whole model's VRAM on one GPU (llama-box: every layer offloaded). */
    public long singleVram() {
        return singleVram;
    }

    /** Host RAM beside a GPU shape (0 when the estimate has no sizing). */
    public long singleRam() {
        return singleRam;
    }

    /** Whether a single-GPU shape must find {@link #singleRam()} on its worker. */
    public boolean ramOnGpu() {
        return ramOnGpu;
    }

    /** Host RAM of the whole model on the CPU. */
    public long cpuRam() {
        return cpuRam;
    }

    /** llama-box's per-layer sizing; null for other backends and without layers. */
    public LayeredSizing layered() {
        return layered;
    }

    /** One GPU's VRAM with {@code k} layers offloaded (llama-box with layers only). */
    public long vramForLayers(int k) {
        return vramByLayers[k];
    }

    /** Host RAM with {@code k} layers offloaded to one GPU (llama-box with layers only). */
    public long ramForLayers(int k) {
        return ramByLayers[k];
    }

    /** No set of GPUs with less allocatable VRAM together can hold every layer (llama-box). */
    public long multiGpuLowerBound() {
        return multiGpuLowerBound;
    }

    /** The smallest layer with its compute buffer: an RPC server's GPU must hold at least this (llama-box). */
    public long smallestLayer() {
        return smallestLayer;
    }

    /** vLLM's or MindIE's sizing; null for other backends and without one. */
    public ShardedSizing sharded() {
        return sharded;
    }

    /** The GPU count vLLM's tensor × pipeline parallel sizes in the spec fix; 0 when the user set neither. */
    public int userWorld() {
        return userWorld;
    }

    /**
     * Whether a sharded engine may run on {@code n} devices: exactly the user's tensor × pipeline size when set (vLLM
     * checks its own divisibility rules on the sizes the user chose), else what the model's sizing allows.
     */
    public boolean allowsDeviceCount(int n) {
        return userWorld > 0 ? n == userWorld : sharded.allowsDeviceCount(n);
    }

    /** The share of each device a sharded engine takes, whatever the model needs. */
    public double fraction() {
        return fraction;
    }

    /** {@code need}, or what this model was seen using on a GPU of that product when that is more. */
    public long measured(GpuCapacity gpu, long need) {
        if (measuredVramByProduct.isEmpty()) {
            return need;
        }
        Long seen = measuredVramByProduct.get(gpu.productName());
        return seen == null ? need : Math.max(need, seen);
    }

    /** The engine's usable fraction of the whole device, as every multi-device claim. */
    public long fullClaim(GpuCapacity gpu) {
        return (long) Math.ceil(fraction * gpu.totalBytes());
    }

    /** A sharded engine's claim on one of {@code n} devices: measured usage counts only when it runs on one. */
    public long shardClaim(GpuCapacity gpu, int n) {
        long claim = fullClaim(gpu);
        return n == 1 ? measured(gpu, claim) : claim;
    }
}
