package dev.gpufleet.worker.backend;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The vox-box command line of one instance: {@code <binary> start --model PATH --data-dir DIR}, the user's
 * parameters, then {@code --device cuda:0|cpu --host H --port P}. vox-box sees only its GPU through
 * {@code CUDA_VISIBLE_DEVICES}, so its device is always {@code cuda:0}. Per the seed's platform matrix vox-box uses
 * NVIDIA GPUs or the CPU, and CosyVoice and Dia run only on Linux x86-64 and macOS.
 */
public final class VoxBoxCommand {
    static final List<UserParameters.AgentOwned> AGENT_OWNED = List.of(
            new UserParameters.AgentOwned(Set.of("--host"),
                    "the agent sets the listen address (gpufleet.worker.backend-host)"),
            new UserParameters.AgentOwned(Set.of("--port"),
                    "the agent assigns the port from gpufleet.worker.port-range"),
            new UserParameters.AgentOwned(Set.of("--model", "--huggingface-repo-id", "--model-scope-model-id"),
                    "the agent passes the model directory of the model's source"),
            new UserParameters.AgentOwned(Set.of("--data-dir"), "the agent gives each instance its own data dir"),
            new UserParameters.AgentOwned(Set.of("--device"), "the agent sets the device from the placed GPU"));
    private static final List<String> LINUX_AMD64_AND_MAC_ONLY = List.of("cosyvoice", "dia-");

    private VoxBoxCommand() {
    }

    /** @param gpu whether a GPU was placed (it is then the only one vox-box sees) */
    public record Inputs(List<String> binary, String host, int port, String modelPath, String dataDir, boolean gpu,
                         List<String> backendParameters) {
        public Inputs {
            binary = List.copyOf(binary);
            backendParameters = backendParameters == null ? List.of() : List.copyOf(backendParameters);
        }
    }

    public static BackendCommand build(Inputs in) {
        UserParameters.Kept kept = UserParameters.withoutAgentOwned(in.backendParameters(), AGENT_OWNED);
        List<String> args = new ArrayList<>(in.binary());
        args.addAll(List.of("start", "--model", in.modelPath(), "--data-dir", in.dataDir()));
        args.addAll(kept.words());
        args.addAll(List.of("--device", in.gpu() ? "cuda:0" : "cpu", "--host", in.host(), "--port",
                String.valueOf(in.port())));
        return new BackendCommand(args, kept.warnings());
    }

    /**
     * Why this model cannot run here, or null.
     *
     * @param model   the model's name or path (CosyVoice and Dia are recognised by name)
     * @param vendors the vendors of the placed GPUs
     * @param os      {@code linux}, {@code darwin}, {@code windows}
     * @param arch    {@code amd64}, {@code arm64}
     */
    public static String platformProblem(String model, List<String> vendors, String os, String arch) {
        for (String vendor : vendors) {
            if (!"nvidia".equals(vendor)) {
                return "vox-box runs on NVIDIA GPUs or the CPU, not on " + vendor + " GPUs";
            }
        }
        String name = model == null ? "" : model.toLowerCase(Locale.ROOT);
        boolean restricted = LINUX_AMD64_AND_MAC_ONLY.stream().anyMatch(name::contains);
        boolean supported = "darwin".equals(os) || ("linux".equals(os) && "amd64".equals(arch));
        if (restricted && !supported) {
            return "CosyVoice and Dia models run on Linux x86-64 and macOS only, not on " + os + "/" + arch;
        }
        return null;
    }
}
