package dev.gpufleet.worker.report;

import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.EventCodec;
import dev.gpufleet.events.Topics;
import dev.gpufleet.events.WorkerReported;
import dev.gpufleet.events.WorkerState;
import dev.gpufleet.worker.WorkerConfig;
import dev.gpufleet.worker.devices.DeviceDetector;
import dev.gpufleet.worker.devices.DeviceInventory;
import dev.gpufleet.worker.devices.DeviceSource;
import dev.gpufleet.worker.devices.ProcessCommandRunner;
import dev.gpufleet.worker.devices.ReportedDevices;
import dev.gpufleet.worker.host.HostNetwork;
import dev.gpufleet.worker.host.HostResources;
import dev.gpufleet.worker.host.HostProbe;
import dev.gpufleet.worker.host.Platform;
import dev.gpufleet.worker.identity.AgentIdentity;
import dev.gpufleet.worker.identity.WorkerIdentity;
import dev.gpufleet.worker.instances.Supervision;
import dev.gpufleet.worker.modelfiles.ModelFileSets;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.vertx.http.HttpServer;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.nio.file.Path;
import java.time.Clock;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Publishes {@code WorkerReported} to {@code gpufleet.workers} every heartbeat interval. A beat whose predecessor
 * Kafka has not acknowledged yet is skipped with a warning, so an absent broker never piles up stale heartbeats in
 * the producer; the next beat after the broker returns carries the current state anyway. Sending happens on its
 * own thread because the producer blocks for up to its max.block.ms while it has no metadata; the report that
 * {@code GET /api/v1/worker} shows stays fresh meanwhile. Every beat built, sent or skipped, takes the next number
 * of this run's sequence, so the scheduler sees the agent's own silence as a gap in it.
 */
@ApplicationScoped
public class Heartbeat {
    private static final Logger LOG = Logger.getLogger(Heartbeat.class);

    private final WorkerConfig config;
    private final AgentIdentity agentIdentity;
    private final Supervision supervision;
    private final ReportedDevices reportedDevices;
    private final Producer<String, String> producer;
    private final Instance<HttpServer> httpServer;
    private final int configuredPort;
    private final Clock clock = Clock.systemUTC();
    private final AtomicInteger skippedInARow = new AtomicInteger();
    private final HostProbe host = HostProbe.ofThisHost();
    private final AtomicReference<Envelope<WorkerReported>> latest = new AtomicReference<>();
    private final AtomicBoolean awaitingAck = new AtomicBoolean();
    private final AtomicLong hostMemoryUsed = new AtomicLong();
    private final String runId = UUID.randomUUID().toString();
    private final AtomicLong sequence = new AtomicLong();

    private AgentSetup setup;
    private RevisionSequence revisions;
    private DeviceSource deviceSource;
    private ScheduledExecutorService executor;
    private ExecutorService sender;

    public Heartbeat(WorkerConfig config, AgentIdentity agentIdentity, Supervision supervision,
                     ReportedDevices reportedDevices, Producer<String, String> producer,
                     Instance<HttpServer> httpServer, @ConfigProperty(name = "quarkus.http.port") int configuredPort) {
        this.config = config;
        this.agentIdentity = agentIdentity;
        this.supervision = supervision;
        this.reportedDevices = reportedDevices;
        this.producer = producer;
        this.httpServer = httpServer;
        this.configuredPort = configuredPort;
    }

    void start(@Observes StartupEvent ignored) {
        Path dataDir = Path.of(config.dataDir());
        WorkerIdentity identity = agentIdentity.get();
        revisions = RevisionSequence.open(dataDir, clock);
        deviceSource = DeviceSource.choose(config.simulatedDevices(), config.resourcesFile(),
                new DeviceDetector(config.deviceToolPath().filter(p -> !p.isBlank())
                        .map(ProcessCommandRunner::new).orElseGet(ProcessCommandRunner::onAgentPath),
                        config.deviceToolTimeout(), hostMemoryUsed::get));
        DeviceInventory devices = deviceSource.sample();
        setup = new AgentSetup(identity, config.address().filter(a -> !a.isBlank())
                .orElseGet(HostNetwork::detectAddress),
                Platform.os(System.getProperty("os.name")), Platform.arch(System.getProperty("os.arch")),
                config.labels(), devices, ReportAssembler.intervalSeconds(config.heartbeatInterval()));
        LOG.infof("Worker '%s' (id %s), data dir %s, address %s, %d GPU(s) from %s, heartbeat every %s",
                identity.name(), identity.workerId(), dataDir, setup.address(), devices.gpus().size(),
                deviceSource.description(), config.heartbeatInterval());

        executor = Executors.newSingleThreadScheduledExecutor(task -> daemon(task, "gpufleet-heartbeat"));
        sender = Executors.newSingleThreadExecutor(task -> daemon(task, "gpufleet-heartbeat-send"));
        executor.scheduleWithFixedDelay(this::beat, 0, config.heartbeatInterval().toMillis(), TimeUnit.MILLISECONDS);
    }

    void stop(@Observes ShutdownEvent ignored) {
        if (executor != null) {
            executor.shutdownNow();
            sender.shutdownNow();
        }
    }

    private static Thread daemon(Runnable task, String name) {
        Thread thread = new Thread(task, name);
        thread.setDaemon(true);
        return thread;
    }

    /** The report built at the latest beat, whether or not Kafka took it. */
    public Optional<Envelope<WorkerReported>> latest() {
        return Optional.ofNullable(latest.get());
    }

    private void beat() {
        // a throw would cancel every later beat of this schedule
        try {
            if (!httpServerBound()) {
                // a report must carry the port actually bound; with a random port (tests) that comes a moment later
                return;
            }
            HostResources hostNow = host.sample();
            hostMemoryUsed.set(hostNow.memoryUsedBytes());
            // live used memory and utilisation; a tool that fails makes this beat NOT_READY, a later one READY again
            setup = setup.withDevices(deviceSource.sample());
            ModelFileSets.Report files = modelFiles();
            Envelope<WorkerReported> report = Envelope.of(
                    ReportAssembler.assemble(setup, hostNow, agentPort(), supervision.observed(),
                                    config.backendVersions().orElse(""))
                            .inSequence(runId, sequence.incrementAndGet()).withModelFiles(files.sets(),
                                    files.directory()), revisions.next(), clock);
            Envelope<WorkerReported> previous = latest.getAndSet(report);
            reportedDevices.report(report.payload().gpus());
            logStateChange(previous, report.payload());
            publish(report);
        } catch (RuntimeException e) {
            LOG.errorf("Heartbeat failed, trying again in %s: %s", config.heartbeatInterval(), e.toString());
        }
    }

    /** The model files on this worker; should they not be readable now, those of the previous beat. */
    private ModelFileSets.Report modelFiles() {
        try {
            return supervision.modelFiles();
        } catch (RuntimeException e) {
            LOG.warnf("Model files not read for this heartbeat: %s", e.toString());
            Envelope<WorkerReported> previous = latest.get();
            return previous == null ? new ModelFileSets.Report(java.util.List.of(), null)
                    : new ModelFileSets.Report(previous.payload().modelFiles(), previous.payload().modelDirectory());
        }
    }

    private static void logStateChange(Envelope<WorkerReported> previous, WorkerReported now) {
        if (previous != null && previous.payload().state() == now.state()
                && Objects.equals(previous.payload().stateMessage(), now.stateMessage())) {
            return;
        }
        if (now.state() == WorkerState.READY) {
            LOG.infof("Reporting %s", now.state());
        } else {
            LOG.warnf("Reporting %s: %s", now.state(), now.stateMessage());
        }
    }

    private void publish(Envelope<WorkerReported> report) {
        if (!awaitingAck.compareAndSet(false, true)) {
            // one warning per outage, not one per beat
            if (skippedInARow.getAndIncrement() == 0) {
                LOG.warnf("Kafka has not acknowledged the previous heartbeat yet; skipping heartbeats until it does"
                        + " (first skipped: revision %d)", report.revision());
            }
            return;
        }
        sender.execute(() -> send(report));
    }

    private void send(Envelope<WorkerReported> report) {
        try {
            producer.send(new ProducerRecord<>(Topics.WORKERS, report.key(), EventCodec.encode(report)),
                    (metadata, failure) -> {
                        awaitingAck.set(false);
                        if (failure == null) {
                            int skipped = skippedInARow.getAndSet(0);
                            if (skipped > 0) {
                                LOG.infof("Kafka takes heartbeats again; %d were skipped meanwhile", skipped);
                            }
                        } else {
                            LOG.warnf("Heartbeat revision %d not delivered to %s: %s", report.revision(),
                                    Topics.WORKERS, failure.toString());
                        }
                    });
        } catch (RuntimeException e) {
            awaitingAck.set(false);
            LOG.warnf("Heartbeat revision %d not sent to %s: %s", report.revision(), Topics.WORKERS, e.toString());
        }
    }

    private boolean httpServerBound() {
        try {
            return !httpServer.isResolvable() || httpServer.get().getPort() > 0;
        } catch (RuntimeException notListeningYet) {
            return false;
        }
    }

    /** The port actually bound (differs from the configured one when that is 0, as in tests). */
    private int agentPort() {
        try {
            int port = httpServer.isResolvable() ? httpServer.get().getPort() : 0;
            return port > 0 ? port : configuredPort;
        } catch (RuntimeException notListeningYet) {
            return configuredPort;
        }
    }
}
