package dev.gpufleet.worker.instances;

import dev.gpufleet.events.ObservedInstance;
import dev.gpufleet.worker.WorkerConfig;
import dev.gpufleet.worker.backend.BinaryChoice;
import dev.gpufleet.worker.backend.ExecutableSearch;
import dev.gpufleet.worker.devices.SimulatedDevices;
import dev.gpufleet.worker.identity.AgentIdentity;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.apache.kafka.clients.producer.Producer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Optional;

/** Wires the {@link BackendSupervisor} to the agent's settings and Kafka; stops every backend on shutdown. */
@Startup
@ApplicationScoped
public class Supervision {
    private final BackendSupervisor supervisor;
    private final ObservationPublisher publisher;

    public Supervision(WorkerConfig config, AgentIdentity identity, Producer<String, String> producer) {
        Path dataDir = Path.of(config.dataDir());
        Clock clock = Clock.systemUTC();
        ExecutableSearch search = new ExecutableSearch(config.backendPath().orElse(System.getenv("PATH")));
        Optional<String> agentJava = ProcessHandle.current().info().command();
        this.publisher = new ObservationPublisher(producer, dataDir, clock);
        this.supervisor = new BackendSupervisor(new SupervisorSettings(identity.get().workerId(), dataDir,
                config.backendHost(), config.portRange(),
                SimulatedDevices.parse(config.simulatedDevices().orElse("")).gpus(),
                () -> BinaryChoice.choose(new BinaryChoice.Host(config.llamaBox().command(), search::find,
                        config.llamacppServerJar(), jar -> Files.isRegularFile(Path.of(jar)), agentJava)),
                config.startTimeout(), config.livenessInterval(), config.probeTimeout(), config.stopTimeout(),
                config.adoptionGrace()),
                publisher, clock);
        supervisor.start();
    }

    public BackendSupervisor supervisor() {
        return supervisor;
    }

    public List<ObservedInstance> observed() {
        return supervisor.observed();
    }

    void stop(@Observes ShutdownEvent ignored) {
        supervisor.close();
        publisher.close();
    }
}
