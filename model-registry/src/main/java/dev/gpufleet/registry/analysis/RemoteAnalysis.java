package dev.gpufleet.registry.analysis;

import dev.gpufleet.events.ModelAnalysis;
import dev.gpufleet.events.ModelFacts;
import dev.gpufleet.events.ModelSource;
import dev.gpufleet.events.ModelSpec;
import dev.gpufleet.registry.gguf.GgufAnalyzer;
import dev.gpufleet.registry.gguf.GgufFile;
import dev.gpufleet.registry.gguf.GgufFormatException;
import dev.gpufleet.registry.gguf.GgufReader;
import dev.gpufleet.registry.gguf.MmprojChoice;
import dev.gpufleet.registry.hfconfig.ConfigAnalysis;
import dev.gpufleet.registry.hfconfig.HfConfigParser;
import dev.gpufleet.registry.hub.FileMatcher;
import dev.gpufleet.registry.hub.FileResolution;
import dev.gpufleet.registry.hub.HubClient;
import dev.gpufleet.registry.hub.HubClients;
import dev.gpufleet.registry.hub.HubException;
import dev.gpufleet.registry.hub.HubFile;

import java.io.IOException;
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

    private final HubClients hubs;
    private final HfConfigParser configParser = new HfConfigParser();

    public RemoteAnalysis(HubClients hubs) {
        this.hubs = hubs;
    }

    public AnalysisStep analyze(ModelSpec spec) {
        Repo repo = repo(spec.source());
        try {
            List<HubFile> files = repo.list();
            if (repo.fileName() != null && !repo.fileName().isBlank()) {
                FileResolution resolution = FileMatcher.resolve(repo.fileName(), files);
                if (!resolution.found()) {
                    return failed(resolution.problem());
                }
                return gguf(repo, files, resolution.file(), spec.backendParameters());
            }
            return fromConfig(repo, files, spec);
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
     * and estimates it as a local one, with the vision projector beside it picked from the listing.
     */
    private static AnalysisStep gguf(Repo repo, List<HubFile> files, HubFile file, List<String> parameters)
            throws HubException {
        String dir = file.path().contains("/") ? file.path().substring(0, file.path().lastIndexOf('/') + 1) : "";
        List<MmprojChoice.DirectoryEntry> beside = files.stream()
                .filter(f -> f.path().startsWith(dir) && f.path().indexOf('/', dir.length()) < 0)
                .map(f -> new MmprojChoice.DirectoryEntry(f.path().substring(dir.length()), f.size()))
                .toList();
        Optional<MmprojChoice.Mmproj> mmproj = MmprojChoice.choose(beside, parameters);
        if (mmproj.isPresent() && mmproj.get().fromParameters()
                && beside.stream().noneMatch(e -> e.name().equals(mmproj.get().file()))) {
            return failed("--mmproj " + mmproj.get().file() + " is not in " + repo.id() + (dir.isEmpty() ? ""
                    : " under " + dir));
        }
        List<GgufFile> parts = new ArrayList<>();
        try {
            for (String name : GgufAnalyzer.splitPartNames(file.name())) {
                Optional<HubFile> part = find(files, dir + name);
                if (part.isEmpty()) {
                    return failed(file.path() + ": split part " + dir + name + " is not in the repository");
                }
                parts.add(GgufReader.read(repo.open(part.get())));
            }
            ModelArchitecture model = GgufAnalyzer.analyze(parts);
            if (mmproj.isPresent()) {
                model = GgufAnalyzer.withMmprojBytes(model, mmproj.get().sizeBytes());
            }
            return AnalysisStep.done(GgufEstimate.of(model, parameters, mmproj.map(m -> m.file()).orElse(null)));
        } catch (GgufFormatException e) {
            return failed(file.path() + " is not a valid GGUF file: " + e.getMessage());
        } catch (IOException e) {
            throw asHubException(file.path(), e);
        }
    }

    private AnalysisStep fromConfig(Repo repo, List<HubFile> files, ModelSpec spec) throws HubException {
        Optional<String> configJson = text(repo, files, "config.json");
        if (configJson.isEmpty()) {
            return failed("no config.json in " + repo.id() + " and no file_name given; name the GGUF file or"
                    + " use a repo with a config.json");
        }
        String index = text(repo, files, "model.safetensors.index.json").orElse(null);
        ConfigAnalysis parsed = configParser.parse(repo.id(), configJson.get(), index, files);
        if (!parsed.ok()) {
            return failed("config.json: " + parsed.problem());
        }
        ModelArchitecture model = parsed.architecture();
        String summary = model.architecture() + ", " + parsed.category().wireName() + ", weights "
                + FileSizeEstimate.size(model.weightBytes());
        ModelFacts facts = new ModelFacts(model.architecture(), model.quantization(), model.parameterCount(),
                model.layers(), model.headCount(), model.headCountKv(), model.embeddingLength(),
                model.contextLength(), model.weightBytes(), model.embeddingModel(), model.rerankerModel(), null);
        return AnalysisStep.done(new Analysis(new ModelAnalysis(ModelAnalysis.State.ANALYZED,
                summary + "; " + ConfigEstimate.describe(spec, model, files), facts),
                ConfigEstimate.of(spec, model, files)));
    }

    /** A small text file of the repo, or empty when the repo has none of that name. */
    private static Optional<String> text(Repo repo, List<HubFile> files, String path) throws HubException {
        Optional<HubFile> file = find(files, path);
        if (file.isEmpty()) {
            return Optional.empty();
        }
        if (file.get().size() > MAX_CONFIG_BYTES) {
            throw new HubException(HubException.Kind.BAD_RESPONSE, path + " is larger than "
                    + FileSizeEstimate.size(MAX_CONFIG_BYTES) + "; not reading it");
        }
        try {
            byte[] bytes = repo.open(file.get()).read(0, (int) file.get().size());
            return Optional.of(new String(bytes, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw asHubException(path, e);
        }
    }

    private static Optional<HubFile> find(List<HubFile> files, String path) {
        return files.stream().filter(f -> f.path().equals(path)).findFirst();
    }

    /** A read failure is the hub's (transient unless it said otherwise). */
    private static HubException asHubException(String path, IOException e) {
        return e instanceof HubException hub ? hub
                : new HubException(HubException.Kind.UNAVAILABLE, "reading " + path + ": " + e.getMessage(), e);
    }

    private static AnalysisStep failed(String message) {
        return AnalysisStep.done(new Analysis(new ModelAnalysis(ModelAnalysis.State.FAILED, message), null));
    }

    /** The clients default a missing revision to their hub's default branch. */
    private Repo repo(ModelSource source) {
        if (ModelSource.HUGGINGFACE.equals(source.type().toLowerCase(Locale.ROOT))) {
            return new Repo(hubs.huggingFace(), source.repoId(), source.revision(), source.fileName());
        }
        return new Repo(hubs.modelScope(), source.modelId(), source.revision(), source.filePath());
    }

    /** One source's repository on its hub, and the file the spec names (null: none). */
    private record Repo(HubClient client, String id, String revision, String fileName) {
        List<HubFile> list() throws HubException {
            return client.listFiles(id, revision);
        }

        ByteSource open(HubFile file) {
            return client.open(id, revision, file);
        }
    }
}
