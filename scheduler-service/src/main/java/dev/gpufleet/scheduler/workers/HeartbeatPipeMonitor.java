package dev.gpufleet.scheduler.workers;

import dev.gpufleet.events.Topics;
import dev.gpufleet.kit.kafka.KafkaClients;
import dev.gpufleet.scheduler.SchedulerConfig;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.common.annotation.Identifier;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsOptions;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsSpec;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Probes the heartbeat pipe every worker check, on every scheduler (so that each one's health says how the pipe
 * is), and keeps its {@link HeartbeatPipe} state: the end offsets of gpufleet.workers and the offsets this service's
 * consumer group committed, from the broker with a short timeout. Logs each change of status, and shows the pipe
 * and the verdicts it holds back as gauges and in the readiness check ({@link HeartbeatPipeHealth}).
 */
@ApplicationScoped
public class HeartbeatPipeMonitor {
    private static final Logger LOG = Logger.getLogger(HeartbeatPipeMonitor.class);

    private final Clock clock;
    private final String bootstrapServers;
    private final Map<String, Object> kafkaConfig;
    private final String groupId;
    private final Duration timeout;
    private final int lagProbes;
    /** A probe older than this says nothing about now; a probe after such a gap starts afresh. */
    private final Duration staleAfter;

    private volatile HeartbeatPipe.State state;
    /** System.nanoTime() of the last probe: staleness is real time passing, whatever the service's clock does. */
    private volatile long lastProbeNanos;
    /** Null on a scheduler that has not judged workers (a follower). */
    private volatile FleetLiveness.Hold hold;
    private volatile String holdDetail = "";
    private Admin admin;

    public HeartbeatPipeMonitor(Clock clock, SchedulerConfig config, MeterRegistry registry,
                                @ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers,
                                @ConfigProperty(name = "mp.messaging.incoming.workers.group.id") String groupId,
                                @Identifier("default-kafka-broker") Map<String, Object> kafkaConfig) {
        this.clock = clock;
        this.bootstrapServers = bootstrapServers;
        this.kafkaConfig = kafkaConfig;
        this.groupId = groupId;
        this.timeout = config.heartbeatProbeTimeout();
        Duration checkInterval = config.workerCheckInterval();
        this.lagProbes = (int) Math.max(1, (config.heartbeatMaxLag().toMillis() + checkInterval.toMillis() - 1)
                / Math.max(1, checkInterval.toMillis()));
        // probes complete at most an interval plus a timeout apart
        this.staleAfter = checkInterval.plus(timeout);
        this.state = HeartbeatPipe.State.initial(clock.instant());
        Gauge.builder("gpufleet.scheduler.heartbeat.pipe.healthy", this, m -> m.healthySince() != null ? 1 : 0)
                .description("1 while heartbeats reach this scheduler's consumers on time; while 0, no worker is"
                        + " marked UNREACHABLE")
                .register(registry);
        Gauge.builder("gpufleet.scheduler.heartbeat.pipe.lag", this, m -> m.state.lagRecords())
                .description("heartbeats on gpufleet.workers the scheduler's consumers have not applied yet")
                .register(registry);
        Gauge.builder("gpufleet.scheduler.worker.verdicts.held", this,
                        m -> m.hold == FleetLiveness.Hold.PIPE || m.hold == FleetLiveness.Hold.MASS_SILENCE ? 1 : 0)
                .description("1 while the leader holds back marking silent workers UNREACHABLE (the pipe is not"
                        + " healthy, or most workers fell silent together)")
                .register(registry);
    }

    @Scheduled(every = "${gpufleet.scheduler.worker-check-interval}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void probe() {
        HeartbeatPipe.Probe probe = look();
        long nanos = System.nanoTime();
        boolean afterAGap = lastProbeNanos != 0 && Duration.ofNanos(nanos - lastProbeNanos).compareTo(staleAfter) > 0;
        HeartbeatPipe.State before = state;
        HeartbeatPipe.State after = HeartbeatPipe.next(before, probe, lagProbes, afterAGap);
        state = after;
        lastProbeNanos = nanos;
        if (after.status() != before.status() || afterAGap) {
            String line = String.format("Heartbeat pipe (%s, group %s) is %s: %s", Topics.WORKERS, groupId,
                    after.status(), after.detail());
            if (after.status() == HeartbeatPipe.Status.HEALTHY) {
                LOG.info(line);
            } else {
                LOG.warn(line + "; no worker is marked UNREACHABLE until it is healthy");
            }
        }
    }

    /** Since when the pipe has been healthy, judged now; null when it is not, or the last probe is too old. */
    public Instant healthySince() {
        if (lastProbeNanos == 0 || Duration.ofNanos(System.nanoTime() - lastProbeNanos).compareTo(staleAfter) > 0) {
            return null;
        }
        return state.healthySince();
    }

    /**
     * When the probe that last found the pipe healthy began; null when it is not healthy now. Workers are judged as
     * of then: a pipe that failed after it cannot make anyone look silent.
     */
    public Instant healthyAt() {
        return healthySince() == null ? null : state.lastProbeAt();
    }

    public HeartbeatPipe.State state() {
        return state;
    }

    /** Whether the last probe is recent enough to tell the pipe's status. */
    public boolean current() {
        return lastProbeNanos != 0 && Duration.ofNanos(System.nanoTime() - lastProbeNanos).compareTo(staleAfter) <= 0;
    }

    /** What this scheduler's last heartbeat check decided, as the leader (shown in health and the gauge). */
    void recordHold(FleetLiveness.Hold hold, String detail) {
        this.hold = hold;
        this.holdDetail = detail;
    }

    /** Null when this scheduler has not judged workers. */
    public FleetLiveness.Hold hold() {
        return hold;
    }

    public String holdDetail() {
        return holdDetail;
    }

    private HeartbeatPipe.Probe look() {
        Instant at = clock.instant().truncatedTo(ChronoUnit.MICROS);
        try {
            Admin client = admin();
            long millis = timeout.toMillis();
            TopicDescription topic;
            try {
                topic = client.describeTopics(List.of(Topics.WORKERS),
                                new DescribeTopicsOptions().timeoutMs((int) millis))
                        .allTopicNames().get(millis, TimeUnit.MILLISECONDS).get(Topics.WORKERS);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                    // no heartbeat was ever sent (the topic is created with the first): nothing to be behind on
                    return HeartbeatPipe.Probe.answered(at, Map.of(), Map.of());
                }
                throw e;
            }
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            topic.partitions().forEach(p -> latest.put(new TopicPartition(Topics.WORKERS, p.partition()),
                    OffsetSpec.latest()));
            Map<Integer, Long> ends = new HashMap<>();
            client.listOffsets(latest, new ListOffsetsOptions().timeoutMs((int) millis)).all()
                    .get(millis, TimeUnit.MILLISECONDS)
                    .forEach((tp, info) -> ends.put(tp.partition(), info.offset()));
            Map<TopicPartition, OffsetAndMetadata> offsets = client.listConsumerGroupOffsets(
                            Map.of(groupId, new ListConsumerGroupOffsetsSpec().topicPartitions(latest.keySet())),
                            new ListConsumerGroupOffsetsOptions().timeoutMs((int) millis))
                    .partitionsToOffsetAndMetadata(groupId).get(millis, TimeUnit.MILLISECONDS);
            Map<Integer, Long> committed = new HashMap<>();
            offsets.forEach((tp, offset) -> {
                if (offset != null) {
                    committed.put(tp.partition(), offset.offset());
                }
            });
            return HeartbeatPipe.Probe.answered(at, ends, committed);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return HeartbeatPipe.Probe.failed(at, "interrupted");
        } catch (TimeoutException e) {
            return HeartbeatPipe.Probe.failed(at, "no answer within " + timeout.toMillis() + " ms");
        } catch (ExecutionException e) {
            return HeartbeatPipe.Probe.failed(at, String.valueOf(e.getCause()));
        } catch (RuntimeException e) {
            return HeartbeatPipe.Probe.failed(at, e.toString());
        }
    }

    private synchronized Admin admin() {
        if (admin == null) {
            Map<String, Object> config = new HashMap<>(KafkaClients.securitySettings(kafkaConfig));
            config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
            config.put(AdminClientConfig.CLIENT_ID_CONFIG, "scheduler-heartbeat-pipe");
            config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
            config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
            config.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1_000);
            admin = Admin.create(config);
        }
        return admin;
    }

    void close(@Observes ShutdownEvent ignored) {
        synchronized (this) {
            if (admin != null) {
                admin.close(Duration.ofSeconds(2));
                admin = null;
            }
        }
    }
}
