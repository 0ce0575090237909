package dev.gpufleet.scheduler.placement;

/** The inference engines placement knows, with the devices each can use (DESIGN §5). */
public enum Backend {
    LLAMA_BOX("llama-box"), VLLM("vllm"), VOX_BOX("vox-box"), MINDIE("mindie");

    private final String label;

    Backend(String label) {
        this.label = label;
    }

    /** The backend a model spec names (by the shared names, {@link dev.gpufleet.events.Backend}), or null. */
    public static Backend of(String name) {
        return dev.gpufleet.events.Backend.of(name).map(b -> valueOf(b.name())).orElse(null);
    }

    /** The name in model specs and in messages. */
    public String label() {
        return label;
    }

    /** vLLM: NVIDIA/AMD GPUs; MindIE: Ascend NPUs; vox-box: NVIDIA GPUs; llama-box: anything. */
    public boolean canUse(GpuCapacity gpu) {
        return switch (this) {
            case LLAMA_BOX -> true;
            case VLLM -> gpu.vendor().equals("nvidia") || gpu.vendor().equals("amd")
                    || gpu.type().equals("cuda") || gpu.type().equals("rocm");
            case MINDIE -> gpu.vendor().equals("ascend") || gpu.type().equals("npu");
            case VOX_BOX -> gpu.vendor().equals("nvidia") || gpu.type().equals("cuda");
        };
    }

    /** Whether this backend can use the device at position {@code g} of the worker, given the worker's platform. */
    public boolean canUse(WorkerFacts f, int g) {
        return usesGpusOn(f) && canUse(f.gpu(g));
    }

    /** How many of the worker's devices this backend can use. */
    public int usableGpus(WorkerFacts f) {
        if (!usesGpusOn(f)) {
            return 0;
        }
        int n = 0;
        for (int g = 0; g < f.gpuCount(); g++) {
            if (canUse(f.gpu(g))) {
                n++;
            }
        }
        return n;
    }

    /**
     * The seed: llama-box on Windows runs on ARM only with CPU offloading, that is on the CPU; its GPUs there are
     * not for llama-box. Every other backend and platform: true.
     */
    public boolean usesGpusOn(WorkerFacts f) {
        return !(this == LLAMA_BOX && cpuOnlyPlatform(f));
    }

    /** Windows on ARM64: llama-box runs there on the CPU only. */
    public static boolean cpuOnlyPlatform(WorkerFacts f) {
        return "windows".equalsIgnoreCase(f.os()) && "arm64".equalsIgnoreCase(f.arch());
    }

    /** The seed: MindIE runs on ARM64 and x86_64 (amd64); the others on any architecture the worker reports. */
    public boolean supportsArch(String arch) {
        return this != MINDIE || arch == null || arch.isEmpty() || MINDIE_ARCHES.contains(arch.toLowerCase(
                java.util.Locale.ROOT));
    }

    /** The architectures MindIE runs on, in the agent's (Go's) spelling. */
    public static final java.util.List<String> MINDIE_ARCHES = java.util.List.of("arm64", "amd64");

    /** The devices this backend needs, as a rejection names them. */
    public String devicesNeeded() {
        return switch (this) {
            case VLLM -> "NVIDIA or AMD GPU";
            case MINDIE -> "Ascend NPU";
            case VOX_BOX -> "NVIDIA GPU";
            case LLAMA_BOX -> "GPU";
        };
    }

    /** vLLM and MindIE run on Linux only. */
    public boolean linuxOnly() {
        return this == VLLM || this == MINDIE;
    }

    /** llama-box and vox-box can run on the CPU (when the model allows CPU offloading). */
    public boolean runsOnCpu() {
        return this == LLAMA_BOX || this == VOX_BOX;
    }
}
