package dev.gpufleet.gateway.admin;

import dev.gpufleet.events.WorkerReported;
import dev.gpufleet.kit.kafka.DeadLetterPublisher;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where each worker's agent API listens, from the workers' own reports on {@code gpufleet.workers} (read from the
 * beginning on every start, like the routing table's topics).
 */
@ApplicationScoped
public class WorkerDirectory {
    /** @param name the worker's name, for messages */
    public record AgentAddress(String workerId, String name, String host, int port) {
    }

    private final Map<String, AgentAddress> agents = new ConcurrentHashMap<>();
    private final Map<String, Long> revisions = new ConcurrentHashMap<>();
    private final DeadLetterPublisher deadLetters;

    public WorkerDirectory(DeadLetterPublisher deadLetters) {
        this.deadLetters = deadLetters;
    }

    @Incoming("workers")
    public void onWorker(ConsumerRecord<String, String> record) {
        try {
            if (record.value() == null) {
                if (record.key() != null) {
                    agents.remove(record.key());
                    revisions.remove(record.key());
                }
                return;
            }
            deadLetters.decode(record).ifPresent(envelope -> {
                if (envelope.payload() instanceof WorkerReported report && report.workerId() != null
                        && report.address() != null && report.agentPort() > 0) {
                    if (revisions.getOrDefault(report.workerId(), Long.MIN_VALUE) <= envelope.revision()) {
                        revisions.put(report.workerId(), envelope.revision());
                        agents.put(report.workerId(), new AgentAddress(report.workerId(), report.name(),
                                report.address(), report.agentPort()));
                    }
                } else {
                    deadLetters.deadLetter(record, envelope.type() + " without worker id, address and agent port "
                            + "does not belong on " + record.topic());
                }
            });
        } catch (RuntimeException e) {
            // a throw would stop the channel for good
            deadLetters.deadLetter(record, "could not apply: " + e);
        }
    }

    public Optional<AgentAddress> agent(String workerId) {
        return Optional.ofNullable(agents.get(workerId));
    }
}
