package dev.gpufleet.worker.instances;

import dev.gpufleet.events.GpuDevice;
import dev.gpufleet.events.ObservedInstance;
import dev.gpufleet.events.spec.LocalRoots;
import dev.gpufleet.worker.WorkerConfig;
import dev.gpufleet.worker.backend.BackendBinaries;
import dev.gpufleet.worker.backend.ConfiguredBackendVersions;
import dev.gpufleet.worker.backend.BinaryChoice;
import dev.gpufleet.worker.backend.LaunchGuard;
import dev.gpufleet.worker.backend.LaunchPlanner;
import dev.gpufleet.worker.backend.MindieSettings;
import dev.gpufleet.worker.backend.PortRange;
import dev.gpufleet.worker.backend.RayCommands;
import dev.gpufleet.worker.backend.RaySettings;
import dev.gpufleet.kit.auth.BackendKeySecret;
import dev.gpufleet.worker.backend.ExecutableSearch;
import dev.gpufleet.worker.devices.ByteSize;
import dev.gpufleet.worker.devices.ReportedDevices;
import dev.gpufleet.worker.devices.SimulatedDevices;
import dev.gpufleet.worker.download.DownloadSettings;
import dev.gpufleet.worker.download.DownloadTracker;
import dev.gpufleet.worker.download.Downloader;
import dev.gpufleet.worker.modelfiles.ModelFileSets;
import dev.gpufleet.worker.download.Hub;
import dev.gpufleet.worker.host.HostNetwork;
import dev.gpufleet.worker.identity.AgentIdentity;
import dev.gpufleet.worker.proxy.BackendProxies;
import io.quarkus.runtime.ShutdownEvent;
import io.vertx.core.Vertx;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.apache.kafka.clients.producer.Producer;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.List;
import java.util.Optional;

/** Wires the {@link BackendSupervisor} to the agent's settings and Kafka; stops every backend on shutdown. */
@Startup
@ApplicationScoped
public class Supervision {
    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(Supervision.class);
    private final BackendSupervisor supervisor;
    private final ObservationPublisher publisher;
    private final Downloader downloader;
    private final ModelFileSets modelFileSets;
    private final ScheduledExecutorService cleanup;

    public Supervision(WorkerConfig config, AgentIdentity identity, Producer<String, String> producer,
                       ReportedDevices reportedDevices, BackendKeySecret backendKeys,
                       @ConfigProperty(name = LocalRoots.SETTING) Optional<String> modelRoots, Vertx vertx) {
        Path dataDir = Path.of(config.dataDir());
        Clock clock = Clock.systemUTC();
        ExecutableSearch search = new ExecutableSearch(config.backendPath().orElse(System.getenv("PATH")));
        Optional<String> agentJava = ProcessHandle.current().info().command();
        this.publisher = new ObservationPublisher(producer, dataDir, clock);
        DownloadSettings downloads = downloadSettings(config, dataDir);
        DownloadTracker tracker = new DownloadTracker();
        this.downloader = new Downloader(downloads, tracker);
        this.modelFileSets = new ModelFileSets(downloads.modelsDir(), identity.get().workerId(), tracker, clock);
        this.supervisor = new BackendSupervisor(new SupervisorSettings(identity.get().workerId(), dataDir,
                backendHost(config), config.portRange(),
                () -> currentDevices(reportedDevices, config),
                () -> BinaryChoice.choose(new BinaryChoice.Host(config.llamaBox().command(), search::find,
                        config.llamacppServerJar(), jar -> Files.isRegularFile(Path.of(jar)), agentJava)),
                config.startTimeout(), config.livenessInterval(), config.probeTimeout(), config.stopTimeout(),
                backend -> backend.contains("@") ? versioned(config, backend) : BackendBinaries.choose(backend, switch (backend) {
                    case LaunchPlanner.VLLM -> config.vllm().command();
                    case LaunchPlanner.VOX_BOX -> config.voxBox().command();
                    case LaunchPlanner.MINDIE -> config.mindie().command();
                    case LaunchPlanner.RAY -> config.ray().command();
                    default -> Optional.<String>empty();
                }, search::find, file -> Files.isRegularFile(Path.of(file)) && Files.isExecutable(Path.of(file))),
                config.backendApiKeys() ? backendKeys.value() : null,
                config.rpcPortRange(), config.adoptionGrace(), raySettings(config),
                new MindieSettings(config.mindie().multiNodesInferPort()),
                config.backendApiKeys() ? backendKeys.previousValue().orElse(null) : null),
                publisher, clock, downloader, new LaunchGuard(LocalRoots.parse(modelRoots.orElse(""))
                        .with(dataDir.resolve("models"))), new BackendProxies(vertx));
        supervisor.start();
        long minFree = byteSize("gpufleet.worker.model-files.min-free", config.modelFiles().minFree());
        Duration unusedAfter = config.modelFiles().unusedAfter();
        this.cleanup = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "gpufleet-model-files");
            thread.setDaemon(true);
            return thread;
        });
        long every = Math.max(1, config.modelFiles().checkInterval().toMillis());
        cleanup.scheduleWithFixedDelay(() -> removeUnused(minFree, unusedAfter), every, every, TimeUnit.MILLISECONDS);
    }

    private void removeUnused(long minFree, Duration unusedAfter) {
        // a throw would cancel every later check
        try {
            if (minFree > 0) {
                modelFileSets.evict(supervisor.modelSources(), minFree, unusedAfter);
            }
        } catch (RuntimeException e) {
            LOG.warnf("Checking the models' disk for unused files failed: %s", e.toString());
        }
    }

    /**
     * {@code <backend>@<version>}: the path {@code gpufleet.worker.backend-versions} gives that version, or why
     * there is none (the scheduler places such instances only where the version is, so this is a stale heartbeat).
     */
    private static BinaryChoice versioned(WorkerConfig config, String key) {
        String backend = key.substring(0, key.indexOf('@'));
        String version = key.substring(key.indexOf('@') + 1);
        return ConfiguredBackendVersions.path(config.backendVersions().orElse(""), backend, version)
                .map(path -> new BinaryChoice(List.of(path), null))
                .orElseGet(() -> new BinaryChoice(List.of(), backend + " " + version + " (backend_version) is "
                        + "neither in gpufleet.worker.backend-versions of this worker nor registered on it"));
    }

    /**
     * The GPUs the latest heartbeat detected (live: a device tool may find others later); before the first beat,
     * the simulated ones if any are set.
     */
    private static List<GpuDevice> currentDevices(ReportedDevices reportedDevices, WorkerConfig config) {
        return reportedDevices.latest()
                .orElseGet(() -> SimulatedDevices.parse(config.simulatedDevices().orElse("")).gpus());
    }

    /** gpufleet.worker.backend-host, else the address this worker advertises: never all interfaces by default. */
    public static String backendHost(WorkerConfig config) {
        return config.backendHost().filter(h -> !h.isBlank()).orElseGet(() -> advertisedAddress(config));
    }

    static String advertisedAddress(WorkerConfig config) {
        return config.address().filter(a -> !a.isBlank()).orElseGet(HostNetwork::detectAddress);
    }

    static RaySettings raySettings(WorkerConfig config) {
        WorkerConfig.Ray ray = config.ray();
        PortRange workers;
        try {
            workers = PortRange.parse(ray.workerPortRange());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("gpufleet.worker.ray.worker-port-range: " + e.getMessage(), e);
        }
        return new RaySettings(new RayCommands.Ports(ray.gcsPort(), ray.clientServerPort(), ray.nodeManagerPort(),
                ray.objectManagerPort(), ray.runtimeEnvAgentPort(), ray.dashboardAgentGrpcPort(),
                ray.dashboardAgentListenPort(), ray.metricsExportPort(), workers.first(), workers.last(),
                ray.dashboardPort()), advertisedAddress(config));
    }

    private static long diskMargin(String text) {
        return byteSize("gpufleet.worker.download.disk-margin", text);
    }

    private static long byteSize(String setting, String text) {
        try {
            return ByteSize.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(setting + ": " + e.getMessage(), e);
        }
    }

    static DownloadSettings downloadSettings(WorkerConfig config, Path dataDir) {
        WorkerConfig.Download download = config.download();
        return new DownloadSettings(dataDir.resolve("models"),
                Hub.huggingFace(config.huggingface().endpoint().orElse(Hub.HUGGINGFACE_ENDPOINT),
                        config.huggingface().token()),
                Hub.modelScope(config.modelscope().endpoint().orElse(Hub.MODELSCOPE_ENDPOINT),
                        config.modelscope().token()),
                download.parallelFiles(), diskMargin(download.diskMargin()), java.time.Duration.ofSeconds(10),
                download.stallTimeout(), download.attempts(), download.retryDelay(), download.progressInterval());
    }

    public BackendSupervisor supervisor() {
        return supervisor;
    }

    /** The model file sets on this worker and the instances that use them now, for the heartbeat and the API. */
    public ModelFileSets.Report modelFiles() {
        return modelFileSets.report(supervisor.modelSources());
    }

    /** Deletes one downloaded model file set that no instance uses. */
    public ModelFileSets.Deletion deleteModelFiles(String id) {
        return modelFileSets.delete(id, supervisor.modelSources());
    }

    /** What the heartbeat lists: each instance's state, with the latest observation sent about it. */
    public List<ObservedInstance> observed() {
        return publisher.listing(supervisor.observed());
    }

    void stop(@Observes ShutdownEvent ignored) {
        cleanup.shutdownNow();
        supervisor.close();
        downloader.close();
        publisher.close();
    }
}
