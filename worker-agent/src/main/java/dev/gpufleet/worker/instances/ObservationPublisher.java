package dev.gpufleet.worker.instances;

import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.EventCodec;
import dev.gpufleet.events.InstanceObserved;
import dev.gpufleet.events.ObservedInstance;
import dev.gpufleet.events.Topics;
import dev.gpufleet.kit.text.PrintableText;
import dev.gpufleet.worker.report.RevisionSequence;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.jboss.logging.Logger;

import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Sends observations to {@code gpufleet.instance-status}, keyed by instance id. Revisions come from one sequence
 * persisted in the data dir, so they keep growing across agent restarts. Sending happens on its own thread, in
 * order: the producer blocks while it has no metadata (broker away), and the supervisor must not. A send may fail;
 * the latest observation of each instance is repeated in every heartbeat ({@link #listing}), which repairs that.
 */
public final class ObservationPublisher implements ObservationSink, AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ObservationPublisher.class);
    public static final String REVISION_FILE = "observation-revision";

    private final Producer<String, String> producer;
    private final RevisionSequence revisions;
    private final Clock clock;
    private final LatestObservations latest;
    private final ExecutorService sender = Executors.newSingleThreadExecutor(task -> {
        Thread thread = new Thread(task, "gpufleet-observation-send");
        thread.setDaemon(true);
        return thread;
    });

    public ObservationPublisher(Producer<String, String> producer, Path dataDir, Clock clock) {
        this.producer = producer;
        this.clock = clock;
        this.latest = new LatestObservations(clock);
        this.revisions = RevisionSequence.open(dataDir, REVISION_FILE, "instance observation", clock);
    }

    @Override
    public void publish(InstanceObserved observation) {
        Envelope<InstanceObserved> envelope;
        try {
            envelope = Envelope.of(printable(observation), revisions.next(), clock);
        } catch (RuntimeException e) {
            LOG.errorf("Observation %s of instance %s not sent: %s", observation.state(), observation.instanceId(),
                    e.toString());
            return;
        }
        latest.sent(envelope.payload(), envelope.revision());
        sender.execute(() -> send(envelope));
    }

    /** The message may quote a backend or a hub (an exception's text): no control characters leave the agent. */
    static InstanceObserved printable(InstanceObserved o) {
        String message = PrintableText.clean(o.message());
        return message == o.message() ? o : new InstanceObserved(o.instanceId(), o.workerId(), o.state(),
                o.downloadProgress(), o.port(), o.pid(), message, o.restartCount(), o.measuredUsage());
    }

    /** The instances the supervisor lists, each with the latest observation sent about it (for the heartbeat). */
    public List<ObservedInstance> listing(List<ObservedInstance> listed) {
        return latest.listing(listed);
    }

    private void send(Envelope<InstanceObserved> envelope) {
        InstanceObserved observation = envelope.payload();
        try {
            producer.send(new ProducerRecord<>(Topics.INSTANCE_STATUS, envelope.key(), EventCodec.encode(envelope)),
                    (metadata, failure) -> {
                        if (failure != null) {
                            LOG.warnf("Observation %s of instance %s (revision %d) not delivered to %s: %s",
                                    observation.state(), observation.instanceId(), envelope.revision(),
                                    Topics.INSTANCE_STATUS, failure.toString());
                        }
                    });
        } catch (RuntimeException e) {
            LOG.warnf("Observation %s of instance %s (revision %d) not sent to %s: %s", observation.state(),
                    observation.instanceId(), envelope.revision(), Topics.INSTANCE_STATUS, e.toString());
        }
    }

    @Override
    public void close() {
        sender.shutdown();
        try {
            sender.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
