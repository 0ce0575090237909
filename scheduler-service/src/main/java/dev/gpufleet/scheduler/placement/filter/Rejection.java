package dev.gpufleet.scheduler.placement.filter;

import dev.gpufleet.events.WorkerState;
import dev.gpufleet.scheduler.placement.Backend;

/**
 * Why a filter keeps a worker out of a placement. {@link #reason()} is the text a no-fit message shows for the
 * worker; {@link NotSelected} workers are not listed at all (the message sums them up).
 */
public sealed interface Rejection {

    /** The reason as the per-worker part of a placement-failure message. */
    String reason();

    /** Whether a no-fit message names the worker with its reason. */
    default boolean listed() {
        return true;
    }

    /** The worker selector or the GPU selector leaves the worker out: the user asked for other workers. */
    record NotSelected() implements Rejection {
        public static final NotSelected INSTANCE = new NotSelected();

        @Override
        public String reason() {
            return "";
        }

        @Override
        public boolean listed() {
            return false;
        }
    }

    /** The worker is not READY (MAINTENANCE, NOT_READY, UNREACHABLE) or its state is unknown. */
    record NotReady(WorkerState state) implements Rejection {
        @Override
        public String reason() {
            return state == null ? "state unknown" : state.name();
        }
    }

    /** The backend runs on Linux only, the worker on something else. */
    record UnsupportedOs(Backend backend, String os) implements Rejection {
        @Override
        public String reason() {
            return backend.label() + " runs on Linux only, this worker runs " + (os.isEmpty() ? "an unknown OS" : os);
        }
    }

    /** The backend does not run on the worker's CPU architecture (MindIE: ARM64 and x86_64 only). */
    record UnsupportedArch(Backend backend, String arch) implements Rejection {
        @Override
        public String reason() {
            return backend.label() + " runs on arm64 and amd64 (x86_64) only, this worker is "
                    + (arch == null || arch.isEmpty() ? "of an unknown architecture" : arch);
        }
    }

    /** llama-box on Windows ARM64 runs on the CPU only, and the instance may not (or its GPUs were selected). */
    record CpuOnlyPlatform(Backend backend, String os, String arch, boolean gpusSelected) implements Rejection {
        @Override
        public String reason() {
            return backend.label() + " on " + os + "/" + arch + " runs on the CPU only (CPU offloading), and "
                    + (gpusSelected ? "gpu_selector names this worker's GPUs" : "cpu_offloading is off");
        }
    }

    /** The model names a {@code backend_version} this worker neither reports nor has registered. */
    record MissingBackendVersion(Backend backend, String version, java.util.List<String> has) implements Rejection {
        @Override
        public String reason() {
            return "no " + backend.label() + " " + version + " (backend_version); this worker has "
                    + (has.isEmpty() ? "no registered " + backend.label() + " versions" : String.join(", ", has))
                    + ", register one with POST /api/v1/workers/{id}/backend-versions";
        }
    }

    /** The GPU selector names a GPU index the worker does not have (or not of the type named). */
    record SelectedGpuMissing(int index) implements Rejection {
        @Override
        public String reason() {
            return "gpu_selector names GPU " + index + ", which this worker does not have";
        }
    }

    /** The GPU selector names a device the backend cannot use. */
    record SelectedGpuUnusable(int index, String vendor, Backend backend) implements Rejection {
        @Override
        public String reason() {
            return "gpu_selector names GPU " + index + " (" + vendor + "), which " + backend.label() + " cannot use";
        }
    }

    /** The worker has no device the backend can use, and the instance may not run on the CPU. */
    record NoUsableGpu(Backend backend, boolean hasGpus) implements Rejection {
        @Override
        public String reason() {
            if (!hasGpus) {
                return backend.runsOnCpu() ? "no GPU, and cpu_offloading is off"
                        : "no GPU, and " + backend.label() + " needs one";
            }
            return "no " + backend.devicesNeeded() + ", and " + backend.label() + " needs one";
        }
    }
}
