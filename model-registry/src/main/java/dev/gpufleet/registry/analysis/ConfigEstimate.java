package dev.gpufleet.registry.analysis;

import dev.gpufleet.events.ModelSizing;
import dev.gpufleet.events.ModelSpec;
import dev.gpufleet.events.ResourceEstimate;
import dev.gpufleet.events.ShardedSizing;
import dev.gpufleet.registry.backends.BackendSelector;
import dev.gpufleet.registry.estimate.BackendSettings;
import dev.gpufleet.registry.estimate.MemoryEstimate;
import dev.gpufleet.registry.estimate.MemoryEstimator;
import dev.gpufleet.registry.estimate.MindieParameters;
import dev.gpufleet.registry.estimate.VllmParameters;
import dev.gpufleet.registry.estimate.VoxBoxFramework;
import dev.gpufleet.registry.hub.HubFile;

import java.util.List;
import java.util.Locale;

/**
 * The estimate for a model analysed from its config.json, by the backend it will run on: vLLM and MindIE with the
 * user's parameters (or the defaults the agent starts them with), vox-box from its framework's table keyed by the
 * largest weight file. {@code vramBytes} is for one device; the sizing covers every device count. Pure.
 */
final class ConfigEstimate {

    private ConfigEstimate() {
    }

    static ResourceEstimate of(ModelSpec spec, ModelArchitecture model, List<HubFile> files) {
        String backend = backend(spec);
        if (BackendSelector.VOX_BOX.equals(backend)) {
            var sizing = MemoryEstimator.voxBoxSizing(framework(spec), largestWeightFile(files));
            return new ResourceEstimate(sizing.cpuOnly().ramBytes(), sizing.gpu().vramBytes(), ModelSizing.of(sizing));
        }
        ShardedSizing sizing = sharded(backend, spec, model);
        return new ResourceEstimate(sizing.ramBytes(), sizing.perDeviceBytes(1), ModelSizing.of(sizing));
    }

    /** One line on the rule that made the numbers, for the analysis message. */
    static String describe(ModelSpec spec, ModelArchitecture model, List<HubFile> files) {
        String backend = backend(spec);
        MemoryEstimate estimate;
        if (BackendSelector.VOX_BOX.equals(backend)) {
            estimate = MemoryEstimator.voxBox(framework(spec), largestWeightFile(files), true);
        } else if (BackendSelector.MINDIE.equals(backend)) {
            estimate = MemoryEstimator.mindie(model, BackendSettings.mindie(spec.backendParameters()));
        } else {
            estimate = MemoryEstimator.vllm(model, vllmParameters(spec, model));
        }
        return estimate.rule() + ": " + FileSizeEstimate.size(estimate.vramBytes().isEmpty() ? 0
                : estimate.vramBytes().get(0)) + " per device";
    }

    private static ShardedSizing sharded(String backend, ModelSpec spec, ModelArchitecture model) {
        if (BackendSelector.MINDIE.equals(backend)) {
            MindieParameters params = BackendSettings.mindie(spec.backendParameters());
            return MemoryEstimator.mindieSizing(model, params);
        }
        return MemoryEstimator.vllmSizing(model, vllmParameters(spec, model));
    }

    private static VllmParameters vllmParameters(ModelSpec spec, ModelArchitecture model) {
        return BackendSettings.vllm(spec.backendParameters(), model.contextLength());
    }

    private static String backend(ModelSpec spec) {
        return spec.backend() == null ? BackendSelector.VLLM : spec.backend().toLowerCase(Locale.ROOT);
    }

    /** The family's table, by the repository's name (the seed's vox-box models). */
    static VoxBoxFramework framework(ModelSpec spec) {
        String id = spec.source().repoId() != null ? spec.source().repoId()
                : spec.source().modelId() != null ? spec.source().modelId() : String.valueOf(spec.source().path());
        String name = id.toLowerCase(Locale.ROOT);
        if (name.contains("cosyvoice")) {
            return VoxBoxFramework.COSYVOICE;
        }
        if (name.contains("dia")) {
            return VoxBoxFramework.DIA;
        }
        if (name.contains("bark")) {
            return VoxBoxFramework.BARK;
        }
        if (name.contains("whisper")) {
            return VoxBoxFramework.FASTER_WHISPER;
        }
        return VoxBoxFramework.FUNASR;
    }

    private static long largestWeightFile(List<HubFile> files) {
        return files.stream()
                .filter(f -> f.path().matches("(?i).*\\.(bin|safetensors|pt|pth|ckpt|onnx)$"))
                .mapToLong(HubFile::size).max().orElse(0);
    }
}
