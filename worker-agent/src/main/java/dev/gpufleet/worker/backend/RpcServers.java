package dev.gpufleet.worker.backend;

import dev.gpufleet.events.Endpoints;
import dev.gpufleet.events.GpuDevice;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The llama.cpp RPC servers a worker runs for distributed llama-box instances: one per GPU, each seeing only its
 * GPU through the vendor's visible-devices variable (so it is device 0 to itself), on a port of its own range
 * ({@code gpufleet.worker.rpc-port-range}, GPUStack's 40064-40095). The port of GPU {@code i} is
 * {@code first + i}: the main worker builds {@code --rpc host:port} from the subordinate's address and its GPU
 * indexes alone, with no port report in between.
 */
public final class RpcServers {
    public static final String DEFAULT_RANGE = "40064-40095";

    private RpcServers() {
    }

    /** One RPC server to run, or why it cannot run. */
    public record RpcServer(int gpuIndex, int port, BackendCommand command, Map<String, String> environment,
                            String problem) {
        public boolean ready() {
            return problem == null;
        }
    }

    /** The port of the RPC server for a GPU, or -1 when the range has none for it. */
    public static int port(PortRange range, int gpuIndex) {
        int port = range.first() + gpuIndex;
        return gpuIndex >= 0 && port <= range.last() ? port : -1;
    }

    /** {@code host:port,...} for {@code --rpc}: the subordinate's RPC servers of these GPUs. */
    public static List<String> endpoints(String workerAddress, List<Integer> gpuIndexes, PortRange range) {
        List<String> endpoints = new ArrayList<>();
        for (int index : gpuIndexes) {
            endpoints.add(Endpoints.hostPort(workerAddress, port(range, index)));
        }
        return endpoints;
    }

    /** @param binary the llama-box command (RPC server mode is a llama-box flag, not another binary) */
    public static List<RpcServer> plan(List<String> binary, String host, List<GpuDevice> devices, PortRange range) {
        List<RpcServer> servers = new ArrayList<>();
        for (GpuDevice device : devices) {
            int port = port(range, device.index());
            if (port < 0) {
                servers.add(new RpcServer(device.index(), -1, null, Map.of(), "GPU " + device.index()
                        + " has no port in gpufleet.worker.rpc-port-range " + range + " (port = first + GPU index)"));
                continue;
            }
            List<String> args = new ArrayList<>(binary);
            args.addAll(List.of("--rpc-server-host", host, "--rpc-server-port", String.valueOf(port),
                    "--rpc-server-main-gpu", "0", "--origin-rpc-server-main-gpu", String.valueOf(device.index())));
            BackendEnvironment env = BackendEnvironment.of(Map.of(), devices, List.of(device.index()));
            servers.add(new RpcServer(device.index(), port, new BackendCommand(args, List.of()), env.variables(),
                    env.problem()));
        }
        return servers;
    }
}
