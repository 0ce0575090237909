package dev.gpufleet.worker.backend;

import dev.gpufleet.events.PlacementShape;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The vLLM command line of one instance: {@code <binary> serve MODEL [--gpu-memory-utilization 0.9]
 * [--max-model-len 8192] [--tensor-parallel-size N] [--pipeline-parallel-size M --distributed-executor-backend
 * ray]}, the user's parameters, then the part the user cannot change: {@code --host H --port P
 * --served-model-name NAME [--api-key K]}.
 *
 * <p>Defaults (the seed): GPU memory utilisation 0.9 unless given; a context of 8192 when the model allows more,
 * unless {@code --max-model-len} is given; tensor parallelism over the main worker's GPUs. With subordinate
 * workers (Ray): the placement's shape when it is DISTRIBUTED (the scheduler's tensor parallelism = GPUs per
 * worker, pipeline parallelism = workers); without one, pipeline parallelism 1 + subordinates, and when the workers'
 * GPU counts differ, tensor parallelism 1 and pipeline parallelism over every GPU, with a warning (GPUStack's rule).
 */
public final class VllmCommand {
    public static final String DEFAULT_GPU_MEMORY_UTILIZATION = "0.9";
    public static final int DEFAULT_MAX_MODEL_LEN = 8192;

    static final Set<String> GPU_MEMORY_UTILIZATION = Set.of("--gpu-memory-utilization");
    static final Set<String> MAX_MODEL_LEN = Set.of("--max-model-len");
    static final Set<String> TENSOR_PARALLEL = Set.of("-tp", "--tensor-parallel-size");
    static final Set<String> PIPELINE_PARALLEL = Set.of("-pp", "--pipeline-parallel-size");
    static final Set<String> EXECUTOR = Set.of("--distributed-executor-backend");
    static final List<UserParameters.AgentOwned> AGENT_OWNED = List.of(
            new UserParameters.AgentOwned(Set.of("--host"),
                    "the agent sets the listen address (gpufleet.worker.backend-host)"),
            new UserParameters.AgentOwned(Set.of("--port"),
                    "the agent assigns the port from gpufleet.worker.port-range"),
            new UserParameters.AgentOwned(Set.of("--model"), "the agent passes the model of the model's source"),
            new UserParameters.AgentOwned(Set.of("--served-model-name"),
                    "the served name is the model name clients ask for"),
            new UserParameters.AgentOwned(Set.of("--api-key"),
                    "the agent sets the instance's API key, which the gateway uses"));

    private VllmCommand() {
    }

    /**
     * @param modelMaxLength    the context the model allows (see {@link ModelMaxLength}); null when unknown
     * @param gpusOnMainWorker  the instance's GPUs on this worker
     * @param gpusPerSubordinate each subordinate worker's GPU count; empty when not distributed
     * @param apiKey            null to start without one
     * @param shape             the placement's layout; null when the producer sent none
     */
    public record Inputs(List<String> binary, String host, int port, String modelPath, String servedModelName,
                         String apiKey, Integer modelMaxLength, int gpusOnMainWorker,
                         List<Integer> gpusPerSubordinate, List<String> backendParameters, PlacementShape shape) {
        public Inputs {
            binary = List.copyOf(binary);
            gpusPerSubordinate = gpusPerSubordinate == null ? List.of() : List.copyOf(gpusPerSubordinate);
            backendParameters = backendParameters == null ? List.of() : List.copyOf(backendParameters);
        }

        public Inputs(List<String> binary, String host, int port, String modelPath, String servedModelName,
                      String apiKey, Integer modelMaxLength, int gpusOnMainWorker, List<Integer> gpusPerSubordinate,
                      List<String> backendParameters) {
            this(binary, host, port, modelPath, servedModelName, apiKey, modelMaxLength, gpusOnMainWorker,
                    gpusPerSubordinate, backendParameters, null);
        }
    }

    public static BackendCommand build(Inputs in) {
        UserParameters.Kept kept = UserParameters.withoutAgentOwned(in.backendParameters(), AGENT_OWNED);
        List<String> warnings = new ArrayList<>(kept.warnings());
        List<String> args = new ArrayList<>(in.binary());
        args.addAll(List.of("serve", in.modelPath()));
        if (!kept.has(GPU_MEMORY_UTILIZATION)) {
            args.addAll(List.of("--gpu-memory-utilization", DEFAULT_GPU_MEMORY_UTILIZATION));
        }
        if (!kept.has(MAX_MODEL_LEN) && in.modelMaxLength() != null && in.modelMaxLength() > DEFAULT_MAX_MODEL_LEN) {
            args.addAll(List.of("--max-model-len", String.valueOf(DEFAULT_MAX_MODEL_LEN)));
        }
        boolean distributed = !in.gpusPerSubordinate().isEmpty();
        if (!kept.has(TENSOR_PARALLEL) && !kept.has(PIPELINE_PARALLEL)) {
            if (!distributed) {
                if (in.gpusOnMainWorker() > 1) {
                    args.addAll(List.of("--tensor-parallel-size", String.valueOf(in.gpusOnMainWorker())));
                }
            } else if (in.shape() != null && in.shape().kind() == PlacementShape.Kind.DISTRIBUTED) {
                args.addAll(List.of("--tensor-parallel-size", String.valueOf(in.shape().tensorParallelSize()),
                        "--pipeline-parallel-size", String.valueOf(in.shape().pipelineParallelSize())));
            } else if (in.gpusPerSubordinate().stream().allMatch(n -> n == in.gpusOnMainWorker())) {
                args.addAll(List.of("--tensor-parallel-size", String.valueOf(in.gpusOnMainWorker()),
                        "--pipeline-parallel-size", String.valueOf(1 + in.gpusPerSubordinate().size())));
            } else {
                int total = in.gpusOnMainWorker() + in.gpusPerSubordinate().stream().mapToInt(n -> n).sum();
                args.addAll(List.of("--tensor-parallel-size", "1", "--pipeline-parallel-size",
                        String.valueOf(total)));
                warnings.add("the workers have different GPU counts (" + in.gpusOnMainWorker() + " here, "
                        + in.gpusPerSubordinate() + " on the subordinates): tensor parallel size 1, pipeline "
                        + "parallel size " + total);
            }
        }
        if (distributed && !kept.has(EXECUTOR)) {
            args.addAll(List.of("--distributed-executor-backend", "ray"));
        }
        args.addAll(kept.words());
        args.addAll(List.of("--host", in.host(), "--port", String.valueOf(in.port()), "--served-model-name",
                in.servedModelName()));
        if (in.apiKey() != null) {
            args.addAll(List.of("--api-key", in.apiKey()));
        }
        return new BackendCommand(args, warnings);
    }
}
