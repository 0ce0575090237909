package dev.gpufleet.worker.instances;

import dev.gpufleet.events.GpuDevice;
import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.worker.backend.BinaryChoice;
import dev.gpufleet.worker.backend.PortRange;
import dev.gpufleet.worker.backend.RpcServers;

import java.util.List;
import java.util.Optional;

/**
 * A llama.cpp RPC server for one GPU lent to a llama-box instance ({@link RpcServers} builds its command), on port
 * {@code rpc-port-range first + GPU index}, so the main worker derives {@code --rpc} without asking.
 */
final class RpcServerRole implements ServerRole {
    private final SupervisorSettings settings;
    private final String probeHost;
    private final PortRange range;
    private final String rangeProblem;

    RpcServerRole(SupervisorSettings settings, String probeHost) {
        this.settings = settings;
        this.probeHost = probeHost;
        PortRange parsed = null;
        String problem = null;
        try {
            parsed = PortRange.parse(settings.rpcPortRange());
        } catch (IllegalArgumentException e) {
            problem = "gpufleet.worker.rpc-port-range: " + e.getMessage();
        }
        this.range = parsed;
        this.rangeProblem = problem;
    }

    @Override
    public ServerLaunch plan(RpcServerPlan.Key key, InstanceChanged instance) {
        if (rangeProblem != null) {
            return new ServerLaunch.Cannot(rangeProblem);
        }
        BinaryChoice binary = settings.binaries().get();
        if (!binary.found()) {
            return new ServerLaunch.Cannot(binary.problem());
        }
        List<GpuDevice> devices = settings.devices().get();
        Optional<RpcServers.RpcServer> planned = RpcServers.plan(binary.command(), settings.backendHost(), devices,
                range).stream().filter(s -> s.gpuIndex() == key.gpuIndex()).findFirst();
        if (planned.isEmpty()) {
            return new ServerLaunch.Cannot("GPU " + key.gpuIndex() + " is not among this worker's GPUs "
                    + devices.stream().map(GpuDevice::index).toList());
        }
        RpcServers.RpcServer rpc = planned.get();
        if (!rpc.ready()) {
            return new ServerLaunch.Cannot(rpc.problem());
        }
        return new ServerLaunch.Spawn(rpc.port(), probeHost, rpc.command(), rpc.environment(), Optional.empty());
    }

    @Override
    public boolean fits(RpcServerPlan.Key key, int port) {
        return range != null && RpcServers.port(range, key.gpuIndex()) == port;
    }

    @Override
    public int quickExitsToFail() {
        return 1;
    }
}
