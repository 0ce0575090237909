package dev.gpufleet.worker.backend;

import dev.gpufleet.events.GpuDevice;
import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.LaunchPlan;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.OptionalInt;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Turns a placed instance into a {@link BackendLaunch}: checks the backend, finds the model file, picks the binary,
 * builds the environment and the command line. Pure: what exists on the host comes in as values and functions.
 */
public final class LaunchPlanner {
    public static final String LLAMA_BOX = "llama-box";

    private LaunchPlanner() {
    }

    /**
     * @param backendHost  the address the backend listens on
     * @param devices      this worker's GPUs
     * @param readableFile whether a model path is a regular file this agent can read
     * @param freePort     the port to use, asked for only when everything else is in order
     */
    public record Host(BinaryChoice binary, String backendHost, List<GpuDevice> devices,
                       Predicate<Path> readableFile, Supplier<OptionalInt> freePort, String portRangeProblem) {
    }

    public static BackendLaunch plan(InstanceChanged instance, Host host) {
        LaunchPlan plan = instance.launchPlan();
        if (plan == null) {
            return BackendLaunch.failed("the instance has no launch plan yet");
        }
        String backend = plan.backend() == null ? LLAMA_BOX : plan.backend().toLowerCase(Locale.ROOT);
        if (!backend.equals(LLAMA_BOX)) {
            return BackendLaunch.failed("backend " + plan.backend() + " cannot run on this worker yet: this release "
                    + "starts " + LLAMA_BOX + " only");
        }
        ModelLocation model = ModelLocation.of(plan.source(), host.readableFile());
        if (model.problem() != null) {
            return BackendLaunch.failed(model.problem());
        }
        if (!host.binary().found()) {
            return BackendLaunch.failed(host.binary().problem());
        }
        BackendEnvironment environment = BackendEnvironment.of(plan.env(), host.devices(), instance.gpuIndexes());
        if (environment.problem() != null) {
            return BackendLaunch.failed(environment.problem());
        }
        if (host.portRangeProblem() != null) {
            return BackendLaunch.failed(host.portRangeProblem());
        }
        OptionalInt port = host.freePort().get();
        if (port.isEmpty()) {
            return BackendLaunch.failed("no free port for the backend: every port of gpufleet.worker.port-range is "
                    + "taken; widen the range or run fewer instances on this worker");
        }
        BackendCommand command = LlamaBoxCommand.build(new LlamaBoxCommand.Inputs(host.binary().command(),
                host.backendHost(), port.getAsInt(), model.path(), instance.modelName(),
                !instance.gpuIndexes().isEmpty(), plan.categories(), plan.backendParameters()));
        return BackendLaunch.ready(command, environment, port.getAsInt());
    }
}
