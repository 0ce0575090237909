package dev.gpufleet.gateway.health;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Identifier;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.kafka.KafkaClientService;
import io.smallrye.reactive.messaging.kafka.KafkaConsumer;
import io.vertx.core.Future;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Watches the control plane from a thread of its own: every {@code probe-interval} it asks Kafka for its cluster
 * and PostgreSQL for {@code SELECT 1} (each under a deadline) and tells {@link ControlPlaneState}; after the start,
 * until the routing table has caught up, it gives {@link RoutingCatchUp} the routing topics' end offsets and the
 * consumers' positions. Nothing here is on a request's path.
 */
@Singleton
public class ControlPlaneWatch {
    private static final Logger LOG = Logger.getLogger(ControlPlaneWatch.class);
    private static final long CATCH_UP_TICK_MILLIS = 200;
    private static final long CATCH_UP_LOG_EVERY_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** The SmallRye channels that feed the routing table. */
    private static final List<String> ROUTING_CHANNELS = List.of("models", "instances");

    private final ControlPlaneState state;
    private final RoutingCatchUp catchUp;
    private final DatabaseGuard database;
    private final Pool pool;
    private final KafkaClientService kafkaClients;
    private final Map<String, Object> adminConfig;
    private final List<String> routingTopics;
    private final Duration probeInterval;
    private final Duration kafkaTimeout;
    private final AtomicBoolean databaseProbeInFlight = new AtomicBoolean();
    private ScheduledExecutorService thread;
    private volatile ScheduledFuture<?> catchUpTicks;
    private Admin admin;
    private long lastCatchUpLog = System.nanoTime();

    public ControlPlaneWatch(ControlPlaneState state, RoutingCatchUp catchUp, DatabaseGuard database, Pool pool,
                             KafkaClientService kafkaClients,
                             @Identifier("default-kafka-broker") Map<String, Object> kafkaConfig,
                             @ConfigProperty(name = "mp.messaging.incoming.models.topic") String modelsTopic,
                             @ConfigProperty(name = "mp.messaging.incoming.instances.topic") String instancesTopic,
                             @ConfigProperty(name = "gpufleet.gateway.health.probe-interval", defaultValue = "2s")
                             Duration probeInterval) {
        if (probeInterval.isNegative() || probeInterval.isZero()) {
            throw new IllegalArgumentException("gpufleet.gateway.health.probe-interval must be positive, was "
                    + probeInterval);
        }
        this.state = state;
        this.catchUp = catchUp;
        this.database = database;
        this.pool = pool;
        this.kafkaClients = kafkaClients;
        this.routingTopics = List.of(modelsTopic, instancesTopic);
        this.probeInterval = probeInterval;
        // a probe that takes longer than the interval is an answer too: Kafka is not there
        this.kafkaTimeout = Duration.ofMillis(Math.max(500, Math.min(probeInterval.toMillis(), 5_000)));
        Set<String> adminKeys = AdminClientConfig.configNames();
        Map<String, Object> config = new HashMap<>();
        kafkaConfig.forEach((key, value) -> {
            if (adminKeys.contains(key) && value != null) {
                config.put(key, value);
            }
        });
        config.put(AdminClientConfig.CLIENT_ID_CONFIG, "gateway-control-plane-watch");
        config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) kafkaTimeout.toMillis());
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) kafkaTimeout.toMillis());
        config.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1_000);
        this.adminConfig = config;
    }

    void onStart(@Observes StartupEvent ignored) {
        admin = Admin.create(adminConfig);
        thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "gpufleet-control-plane-watch");
            t.setDaemon(true);
            return t;
        });
        catchUpTicks = thread.scheduleWithFixedDelay(this::catchUpTick, 0, CATCH_UP_TICK_MILLIS,
                TimeUnit.MILLISECONDS);
        thread.scheduleWithFixedDelay(this::probe, 0, probeInterval.toMillis(), TimeUnit.MILLISECONDS);
    }

    void onStop(@Observes ShutdownEvent ignored) {
        if (thread != null) {
            thread.shutdownNow();
        }
        if (admin != null) {
            admin.close(Duration.ofSeconds(2));
        }
    }

    private void probe() {
        try {
            probeDatabase();
            probeKafka();
        } catch (RuntimeException e) {
            LOG.warnf("Control plane probe failed: %s", e.toString());
        }
    }

    /** At most one probe query in flight: while PostgreSQL is paused, a query waits until it resumes. */
    private void probeDatabase() {
        if (!databaseProbeInFlight.compareAndSet(false, true)) {
            return;
        }
        Future<RowSet<Row>> query = pool.getDelegate().query("SELECT 1").execute();
        query.onComplete(done -> {
            databaseProbeInFlight.set(false);
            if (done.succeeded()) {
                state.database(true, "");
            }
        });
        database.guard(Uni.createFrom().completionStage(query.toCompletionStage()))
                .subscribe().with(ok -> { }, failure -> LOG.debugf("PostgreSQL probe: %s", failure));
    }

    private void probeKafka() {
        try {
            admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) kafkaTimeout.toMillis()))
                    .clusterId().get(kafkaTimeout.toMillis() + 500, TimeUnit.MILLISECONDS);
            state.kafka(true, "");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            state.kafka(false, cause.toString());
        }
    }

    private void catchUpTick() {
        try {
            if (catchUp.caughtUp()) {
                ScheduledFuture<?> ticks = catchUpTicks;
                if (ticks != null) {
                    ticks.cancel(false);
                }
                return;
            }
            if (!catchUp.hasTargets()) {
                endOffsets().ifPresent(catchUp::targets);
            }
            if (catchUp.hasTargets()) {
                catchUp.positions(positions());
            }
            if (!catchUp.caughtUp() && System.nanoTime() - lastCatchUpLog >= CATCH_UP_LOG_EVERY_NANOS) {
                lastCatchUpLog = System.nanoTime();
                LOG.infof("The routing table has not caught up yet (%s); /v1 answers 503 until it has",
                        catchUp.behind());
            }
        } catch (RuntimeException e) {
            LOG.debugf("Routing catch-up check failed: %s", e.toString());
        }
    }

    /** Every partition of the routing topics with its end offset now; empty if Kafka cannot tell. */
    private java.util.Optional<Map<TopicPartition, Long>> endOffsets() {
        long timeout = kafkaTimeout.toMillis();
        try {
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            for (String topic : routingTopics) {
                try {
                    TopicDescription description = admin.describeTopics(List.of(topic),
                                    new DescribeTopicsOptions().timeoutMs((int) timeout))
                            .allTopicNames().get(timeout + 500, TimeUnit.MILLISECONDS).get(topic);
                    description.partitions().forEach(p ->
                            latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                        throw e;
                    }
                    // no such topic yet: nothing to read from it
                }
            }
            Map<TopicPartition, Long> ends = new HashMap<>();
            admin.listOffsets(latest, new ListOffsetsOptions().timeoutMs((int) timeout)).all()
                    .get(timeout + 500, TimeUnit.MILLISECONDS)
                    .forEach((partition, info) -> ends.put(partition, info.offset()));
            return java.util.Optional.of(ends);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            LOG.debugf("Could not read the routing topics' end offsets: %s", e.toString());
        }
        return java.util.Optional.empty();
    }

    /** The routing consumers' positions on their assigned partitions (none before their assignment). */
    private Map<TopicPartition, Long> positions() {
        Map<TopicPartition, Long> positions = new HashMap<>();
        for (String channel : ROUTING_CHANNELS) {
            List<KafkaConsumer<Object, Object>> consumers = kafkaClients.getConsumers(channel);
            for (KafkaConsumer<Object, Object> consumer : consumers) {
                try {
                    positions.putAll(consumer.getPositions().await().atMost(kafkaTimeout));
                } catch (RuntimeException e) {
                    LOG.debugf("Could not read the position of channel %s: %s", channel, e.toString());
                }
            }
        }
        return positions;
    }
}
