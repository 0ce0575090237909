package dev.gpufleet.kit.kafka;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.reactive.messaging.kafka.KafkaClientService;
import io.smallrye.reactive.messaging.kafka.KafkaConsumer;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;
import org.eclipse.microprofile.config.Config;

import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code gpufleet_kafka_consumer_lag{channel,topic,group}}: how many records each of the service's consumers has yet
 * to read, summed over the partitions it is assigned, as the consumer itself knows it (its position against the
 * high watermark of its last fetch: no broker round trip, and right also for the gateway's groups, which never
 * commit). Refreshed every {@value #REFRESH_MILLIS} ms on each consumer's polling thread; NaN until the first
 * refresh, and for a channel whose consumer has no assignment yet.
 */
@ApplicationScoped
public class ConsumerLagMetrics {
    static final long REFRESH_MILLIS = 5_000;

    private final Instance<KafkaClientService> clients;
    private final MeterRegistry registry;
    private final Vertx vertx;
    private final Config config;
    private final Map<String, Double> lagByChannel = new ConcurrentHashMap<>();
    private final Set<String> registered = ConcurrentHashMap.newKeySet();
    private long timer = -1;

    public ConsumerLagMetrics(Instance<KafkaClientService> clients, MeterRegistry registry, Vertx vertx,
                              Config config) {
        this.clients = clients;
        this.registry = registry;
        this.vertx = vertx;
        this.config = config;
    }

    void start(@Observes StartupEvent ignored) {
        if (clients.isResolvable()) {
            timer = vertx.setPeriodic(1_000, REFRESH_MILLIS, id -> refresh());
        }
    }

    void stop(@Observes ShutdownEvent ignored) {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
    }

    /** Registers the gauge of a channel seen for the first time, and asks each consumer for its lag. */
    void refresh() {
        KafkaClientService service = clients.get();
        for (String channel : service.getConsumerChannels()) {
            var consumers = service.<Object, Object>getConsumers(channel);
            if (consumers.isEmpty()) {
                continue;
            }
            if (registered.add(channel)) {
                Object group = consumers.get(0).configuration().get("group.id");
                String topic = config.getOptionalValue("mp.messaging.incoming." + channel + ".topic", String.class)
                        .orElse(channel);
                Gauge.builder("gpufleet.kafka.consumer.lag", lagByChannel, m -> m.getOrDefault(channel, Double.NaN))
                        .description("Records the consumer has yet to read, over the partitions it is assigned")
                        .tags("channel", channel, "topic", topic, "group", String.valueOf(group))
                        .register(registry);
            }
            Map<KafkaConsumer<Object, Object>, Long> perConsumer = new ConcurrentHashMap<>();
            for (KafkaConsumer<Object, Object> consumer : consumers) {
                consumer.runOnPollingThread(ConsumerLagMetrics::lag).subscribe().with(lag -> {
                    if (lag < 0) {
                        perConsumer.remove(consumer);
                    } else {
                        perConsumer.put(consumer, lag);
                    }
                    lagByChannel.put(channel, perConsumer.isEmpty() ? Double.NaN
                            : perConsumer.values().stream().mapToLong(Long::longValue).sum());
                }, failure -> lagByChannel.put(channel, Double.NaN));
            }
        }
    }

    /** The consumer's lag over its assignment; -1 when it knows none yet (no assignment, no fetch). */
    static long lag(Consumer<?, ?> consumer) {
        long sum = 0;
        boolean known = false;
        for (TopicPartition partition : consumer.assignment()) {
            OptionalLong lag = consumer.currentLag(partition);
            if (lag.isPresent()) {
                sum += lag.getAsLong();
                known = true;
            }
        }
        return known ? sum : -1;
    }
}
