package dev.gpufleet.worker.instances;

import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.worker.backend.BackendEnvironment;
import dev.gpufleet.worker.backend.BinaryChoice;
import dev.gpufleet.worker.backend.LaunchPlanner;
import dev.gpufleet.worker.backend.RayCommands;

import java.util.List;
import java.util.Optional;

/**
 * The Ray worker node of a vLLM instance ({@link RayCommands#worker}), holding every GPU lent: it needs {@code ray},
 * the main worker's address, and the Ray head's GCS port answering there (the main worker starts the head when it
 * starts the instance, so the start waits for it); ready when its node manager port listens.
 */
final class RayWorkerRole implements ServerRole {
    /**
     * A worker also exits soon after its start when the head it just joined goes away (the main worker restarts the
     * instance): that is retried, and only repeated quick exits count as a failed start.
     */
    static final int QUICK_EXITS_TO_FAIL = 3;

    private final SupervisorSettings settings;

    RayWorkerRole(SupervisorSettings settings) {
        this.settings = settings;
    }

    @Override
    public ServerLaunch plan(RpcServerPlan.Key key, InstanceChanged instance) {
        if (instance == null) {
            return new ServerLaunch.Gone();
        }
        String cannot = key.describe() + " cannot start: ";
        BinaryChoice ray = settings.backendBinaries().apply(LaunchPlanner.RAY);
        if (!ray.found()) {
            return new ServerLaunch.Cannot(cannot + ray.problem());
        }
        String head = instance.workerAddress();
        if (head == null || head.isBlank()) {
            return new ServerLaunch.Cannot(cannot + "the address of main worker " + (instance.workerName() != null
                    ? instance.workerName() + " (" + instance.workerId() + ")" : instance.workerId())
                    + ", where the Ray head runs, is unknown to this worker: the instance's InstanceChanged carries "
                    + "no workerAddress (a scheduler older than that field, or the main worker's heartbeat gave no "
                    + "address when it was placed)");
        }
        List<Integer> gpus = RpcServerPlan.lentGpus(settings.workerId(), instance);
        String node = settings.ray().nodeAddress();
        BackendEnvironment environment = RayCommands.environment(settings.devices().get(), gpus, node);
        if (environment.problem() != null) {
            return new ServerLaunch.Cannot(cannot + environment.problem());
        }
        RayCommands.Ports ports = settings.ray().ports();
        return new ServerLaunch.Spawn(ports.nodeManager(), node,
                RayCommands.worker(ray.command(), head, node, gpus.size(), ports), environment.variables(),
                Optional.of(new ServerLaunch.Awaited(head, ports.gcs(),
                        "the Ray head at " + RayCommands.gcsAddress(head, ports))));
    }

    @Override
    public boolean fits(RpcServerPlan.Key key, int port) {
        return settings.ray().ports().nodeManager() == port;
    }

    @Override
    public int quickExitsToFail() {
        return QUICK_EXITS_TO_FAIL;
    }
}
