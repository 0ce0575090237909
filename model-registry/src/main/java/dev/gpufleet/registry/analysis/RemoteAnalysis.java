package dev.gpufleet.registry.analysis;

import dev.gpufleet.events.ModelAnalysis;
import dev.gpufleet.events.ModelSource;
import dev.gpufleet.events.ResourceEstimate;
import dev.gpufleet.registry.gguf.GgufAnalyzer;
import dev.gpufleet.registry.gguf.GgufFile;
import dev.gpufleet.registry.gguf.GgufFormatException;
import dev.gpufleet.registry.gguf.GgufReader;
import dev.gpufleet.registry.hfconfig.ConfigAnalysis;
import dev.gpufleet.registry.hfconfig.HfConfigParser;
import dev.gpufleet.registry.hub.FileMatcher;
import dev.gpufleet.registry.hub.FileResolution;
import dev.gpufleet.registry.hub.HubClients;
import dev.gpufleet.registry.hub.HubException;
import dev.gpufleet.registry.hub.HubFile;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Analyses a Hugging Face or ModelScope source through the hub's API: the file list with sizes, then either the
 * GGUF file the spec names or the repo's config.json. A hub that is away or slow is a reason to try again later
 * (PENDING, with the reason); a missing repo or file, refused credentials or a config that cannot be read make the
 * analysis FAILED, saying why. Blocking: run it off the event loop.
 */
public final class RemoteAnalysis {
    private static final int MAX_CONFIG_BYTES = 4 << 20;
    private static final long VLLM_FLOOR_BYTES = 2L << 30;

    private final HubClients hubs;
    private final HfConfigParser configParser = new HfConfigParser();

    public RemoteAnalysis(HubClients hubs) {
        this.hubs = hubs;
    }

    public AnalysisStep analyze(ModelSource source) {
        try {
            Hub hub = hub(source);
            List<HubFile> files = hub.list();
            String wanted = hub.fileName();
            if (wanted != null && !wanted.isBlank()) {
                FileResolution resolution = FileMatcher.resolve(wanted, files);
                if (!resolution.found()) {
                    return failed(resolution.problem());
                }
                return gguf(hub, files, resolution.file());
            }
            return fromConfig(hub, files);
        } catch (HubException e) {
            if (e.isTransient()) {
                return AnalysisStep.retryLater(new Analysis(new ModelAnalysis(ModelAnalysis.State.PENDING,
                        "hub not reachable, trying again with backoff: " + e.getMessage()), null));
            }
            return failed(e.getMessage());
        }
    }

    /**
     * Reads the header of the GGUF file (every part of a split model) with Range requests — never the weights —
     * and estimates it as a local one. The backend parameters are not known here: the agent's defaults apply.
     */
    private static AnalysisStep gguf(Hub hub, List<HubFile> files, HubFile file) throws HubException {
        String dir = file.path().contains("/") ? file.path().substring(0, file.path().lastIndexOf('/') + 1) : "";
        List<GgufFile> parts = new ArrayList<>();
        try {
            for (String name : GgufAnalyzer.splitPartNames(file.name())) {
                HubFile part = files.stream().filter(f -> f.path().equals(dir + name)).findFirst().orElse(null);
                if (part == null) {
                    return failed(file.path() + ": split part " + dir + name + " is not in the repository");
                }
                parts.add(GgufReader.read(hub.open(part)));
            }
            return AnalysisStep.done(GgufEstimate.of(GgufAnalyzer.analyze(parts), List.of()));
        } catch (GgufFormatException e) {
            return failed(file.path() + " is not a valid GGUF file: " + e.getMessage());
        } catch (HubException e) {
            throw e;
        } catch (java.io.IOException e) {
            throw new HubException(HubException.Kind.UNAVAILABLE, "reading " + file.path() + ": " + e.getMessage(), e);
        }
    }

    private AnalysisStep fromConfig(Hub hub, List<HubFile> files) throws HubException {
        Optional<HubFile> config = files.stream().filter(f -> f.path().equals("config.json")).findFirst();
        if (config.isEmpty()) {
            return failed("no config.json in " + hub.describe() + " and no file_name given; name the GGUF file or"
                    + " use a repo with a config.json");
        }
        String index = text(hub, files, "model.safetensors.index.json").orElse(null);
        String configJson = text(hub, files, "config.json").orElseThrow();
        ConfigAnalysis parsed = configParser.parse(hub.repo(), configJson, index, files);
        if (!parsed.ok()) {
            return failed("config.json: " + parsed.problem());
        }
        long weights = parsed.architecture().weightBytes();
        // vLLM's floor as GPUStack uses it until the real estimator sizes KV for --max-model-len
        long vram = weights + weights / 5 + VLLM_FLOOR_BYTES;
        return AnalysisStep.done(new Analysis(new ModelAnalysis(ModelAnalysis.State.ANALYZED,
                parsed.architecture().architecture() + ", " + parsed.category().wireName() + ", weights "
                        + FileSizeEstimate.size(weights)), new ResourceEstimate(weights, vram)));
    }

    private static Optional<String> text(Hub hub, List<HubFile> files, String path) throws HubException {
        Optional<HubFile> file = files.stream().filter(f -> f.path().equals(path)).findFirst();
        if (file.isEmpty()) {
            return Optional.empty();
        }
        if (file.get().size() > MAX_CONFIG_BYTES) {
            throw new HubException(HubException.Kind.BAD_RESPONSE, path + " is larger than "
                    + FileSizeEstimate.size(MAX_CONFIG_BYTES) + "; not reading it");
        }
        try {
            byte[] bytes = hub.open(file.get()).read(0, (int) file.get().size());
            return Optional.of(new String(bytes, StandardCharsets.UTF_8));
        } catch (HubException e) {
            throw e;
        } catch (java.io.IOException e) {
            throw new HubException(HubException.Kind.UNAVAILABLE, "reading " + path + ": " + e.getMessage(), e);
        }
    }

    private static AnalysisStep failed(String message) {
        return AnalysisStep.done(new Analysis(new ModelAnalysis(ModelAnalysis.State.FAILED, message), null));
    }

    private Hub hub(ModelSource source) {
        String type = source.type().toLowerCase(Locale.ROOT);
        if (ModelSource.HUGGINGFACE.equals(type)) {
            String revision = source.revision() == null ? "main" : source.revision();
            return new Hub(source.repoId(), source.fileName()) {
                List<HubFile> list() throws HubException {
                    return hubs.huggingFace().listFiles(source.repoId(), revision);
                }

                ByteSource open(HubFile file) {
                    return hubs.huggingFace().open(source.repoId(), revision, file);
                }
            };
        }
        String revision = source.revision() == null ? "master" : source.revision();
        return new Hub(source.modelId(), source.filePath()) {
            List<HubFile> list() throws HubException {
                return hubs.modelScope().listFiles(source.modelId(), revision);
            }

            ByteSource open(HubFile file) {
                return hubs.modelScope().open(source.modelId(), revision, file);
            }
        };
    }

    /** One source on one hub: its repo id and the file the spec names, if any. */
    private abstract static class Hub {
        private final String repo;
        private final String fileName;

        Hub(String repo, String fileName) {
            this.repo = repo;
            this.fileName = fileName;
        }

        abstract List<HubFile> list() throws HubException;

        abstract ByteSource open(HubFile file);

        String repo() {
            return repo;
        }

        String fileName() {
            return fileName;
        }

        String describe() {
            return repo;
        }
    }
}
