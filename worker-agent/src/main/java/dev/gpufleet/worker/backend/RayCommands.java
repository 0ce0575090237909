package dev.gpufleet.worker.backend;

import dev.gpufleet.events.Endpoints;
import dev.gpufleet.events.GpuDevice;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Ray processes a multi-worker vLLM instance needs: a head on the main worker and one worker per subordinate,
 * on GPUStack's ports (GCS 40096, client server 40097, node manager 40098, object manager 40099, runtime-env agent
 * 40100, dashboard agent gRPC 40101 and HTTP 52365, metrics 40103, worker processes 40200-40999, dashboard 8265).
 * {@code --block} keeps each in the foreground so the agent supervises it like any backend.
 */
public final class RayCommands {
    public static final int GCS_PORT = 40096;
    /** Ray's client library (so vLLM's {@code ray.init()}) joins the cluster at this address. */
    public static final String RAY_ADDRESS = "RAY_ADDRESS";
    /** The address vLLM uses for this node's workers. */
    public static final String VLLM_HOST_IP = "VLLM_HOST_IP";

    /** Ray's ports; {@link #DEFAULT} is GPUStack's layout. */
    public record Ports(int gcs, int clientServer, int nodeManager, int objectManager, int runtimeEnvAgent,
                        int dashboardAgentGrpc, int dashboardAgentListen, int metricsExport, int minWorker,
                        int maxWorker, int dashboard) {
        public static final Ports DEFAULT = new Ports(GCS_PORT, 40097, 40098, 40099, 40100, 40101, 52365, 40103,
                40200, 40999, 8265);
    }

    private RayCommands() {
    }

    public static BackendCommand head(List<String> rayBinary, String nodeIp, int gpus, Ports ports) {
        List<String> args = new ArrayList<>(rayBinary);
        args.addAll(List.of("start", "--head", "--port", String.valueOf(ports.gcs()),
                "--ray-client-server-port", String.valueOf(ports.clientServer()),
                "--dashboard-port", String.valueOf(ports.dashboard())));
        args.addAll(common(nodeIp, gpus, ports));
        return new BackendCommand(args, List.of());
    }

    public static BackendCommand worker(List<String> rayBinary, String headAddress, String nodeIp, int gpus,
                                        Ports ports) {
        List<String> args = new ArrayList<>(rayBinary);
        args.addAll(List.of("start", "--address", gcsAddress(headAddress, ports)));
        args.addAll(common(nodeIp, gpus, ports));
        return new BackendCommand(args, List.of());
    }

    /**
     * The environment of a Ray node (and so of the vLLM workers Ray starts on it): only the instance's GPUs of this
     * worker visible, and {@code VLLM_HOST_IP}, which vLLM reads to tell the nodes apart.
     *
     * @return null when a GPU is not on this worker ({@link BackendEnvironment#problem()} says why)
     */
    public static BackendEnvironment environment(List<GpuDevice> devices, List<Integer> gpuIndexes,
                                                 String nodeAddress) {
        BackendEnvironment visible = BackendEnvironment.of(Map.of(), devices, gpuIndexes);
        if (visible.problem() != null) {
            return visible;
        }
        Map<String, String> variables = new LinkedHashMap<>(visible.variables());
        variables.put(VLLM_HOST_IP, nodeAddress);
        return new BackendEnvironment(variables, List.of(), null);
    }

    /** {@code host:port} of the head's GCS, what {@code ray start --address} and {@code RAY_ADDRESS} take. */
    public static String gcsAddress(String headAddress, Ports ports) {
        return Endpoints.hostPort(headAddress, ports.gcs());
    }

    private static List<String> common(String nodeIp, int gpus, Ports ports) {
        return List.of("--node-ip-address", nodeIp, "--num-gpus", String.valueOf(gpus),
                "--node-manager-port", String.valueOf(ports.nodeManager()),
                "--object-manager-port", String.valueOf(ports.objectManager()),
                "--runtime-env-agent-port", String.valueOf(ports.runtimeEnvAgent()),
                "--dashboard-agent-grpc-port", String.valueOf(ports.dashboardAgentGrpc()),
                "--dashboard-agent-listen-port", String.valueOf(ports.dashboardAgentListen()),
                "--metrics-export-port", String.valueOf(ports.metricsExport()),
                "--min-worker-port", String.valueOf(ports.minWorker()),
                "--max-worker-port", String.valueOf(ports.maxWorker()),
                "--block");
    }
}
