package dev.gpufleet.kit.outbox;

import dev.gpufleet.events.Topics;
import dev.gpufleet.kit.kafka.KafkaClients;
import dev.gpufleet.localstack.EmbeddedKafka;
import dev.gpufleet.localstack.EmbeddedPostgresServer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The relay against a real PostgreSQL and a real broker that goes away and comes back, and two relays on one
 * outbox, the publishing one killed mid-stream.
 */
class OutboxRelayTest {
    private static EmbeddedKafka kafka;
    private static EmbeddedPostgresServer postgres;
    private static PGSimpleDataSource dataSource;

    @BeforeAll
    static void start() throws Exception {
        kafka = EmbeddedKafka.throwaway().start();
        kafka.createTopics(1);
        postgres = EmbeddedPostgresServer.start(null, 0);
        postgres.ensureDatabase("kit", "kit", "kit-password");
        dataSource = new PGSimpleDataSource();
        dataSource.setUrl(postgres.jdbcUrl("kit"));
        dataSource.setUser("kit");
        dataSource.setPassword("kit-password");
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            for (String table : List.of("outbox", "handover_outbox")) {
                s.execute("CREATE TABLE " + table + " (id bigserial PRIMARY KEY, topic text NOT NULL,"
                        + " msg_key text NOT NULL, payload text, created_at timestamptz NOT NULL DEFAULT now(),"
                        + " sent_at timestamptz, trace_parent text)");
            }
        }
    }

    @AfterAll
    static void stop() {
        kafka.close();
        postgres.close();
    }

    @Test
    void publishesInOrderMarksSentAndSurvivesABrokerOutage() throws Exception {
        String key = UUID.randomUUID().toString();
        try (Producer<String, String> producer = KafkaClients.stringProducer(kafka.bootstrapServers(), "test");
             OutboxRelay relay = new OutboxRelay(dataSource::getConnection, "outbox", producer, Duration.ofMillis(100),
                     50)) {
            insert(key, "v1");
            insert(key, "v2");
            insert(key, null); // tombstone
            assertEquals(3, relay.relayOnce());
            assertEquals(0, relay.relayOnce());
            assertEquals(0, relay.backlog());

            kafka.stop();
            insert(key, "v3");
            assertThrows(Exception.class, relay::relayOnce);
            assertEquals(1, relay.backlog(), "an unacknowledged row stays queued");

            relay.start(); // keeps retrying with backoff while the broker is away
            Thread.sleep(1_000);
            assertEquals(1, relay.backlog(), "nothing is marked sent while the broker is away");
            kafka.start();
            insert(key, "v4");
            relay.wakeUp();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (relay.backlog() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertEquals(0, relay.backlog());
        }
        List<String> values = consume(key, 5);
        // at-least-once: a retried batch may repeat, but order per key holds and nothing is missing
        assertEquals(List.of("v1", "v2", "<tombstone>", "v3", "v4"), values.stream().distinct().toList());
        assertTrue(values.indexOf("v3") < values.lastIndexOf("v4"));
    }

    /**
     * A relay in a process of its own publishes while rows keep coming; a second relay on the same outbox waits.
     * SIGKILL the first: the second takes over, and on the topic every key's values are all there and their last
     * copies are in order (a hand-over may repeat a few, never put an older one after a newer), so compaction
     * keeps the newest.
     */
    @Test
    void oneRelayPublishesAtATimeAndAKilledOnesSuccessorKeepsEachKeysOrder() throws Exception {
        String table = "handover_outbox";
        List<String> keys = new ArrayList<>();
        for (int k = 0; k < 4; k++) {
            keys.add("handover-" + k + "-" + UUID.randomUUID());
        }
        Writer writer = new Writer(table, keys);
        Process first = null;
        try (Producer<String, String> producer = KafkaClients.stringProducer(kafka.bootstrapServers(), "second");
             OutboxRelay second = new OutboxRelay(dataSource::getConnection, table, producer, Duration.ofMillis(20),
                     20)) {
            writer.start();
            first = startRelayProcess(table);
            second.start();
            awaitCount("SELECT count(*) FROM " + table + " WHERE sent_at IS NOT NULL", 150);
            assertFalse(second.isPublishing(), "the second relay waits while the first publishes");

            first.destroyForcibly(); // SIGKILL: no unlock, no final commit
            assertTrue(first.waitFor(30, TimeUnit.SECONDS));
            long killedAt = System.nanoTime();
            while (!second.isPublishing() && System.nanoTime() - killedAt < Duration.ofSeconds(20).toNanos()) {
                Thread.sleep(20);
            }
            assertTrue(second.isPublishing(), "the second relay took over");
            writer.awaitRows(writer.written() + 150);
            writer.stop();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (backlog(table) > 0 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertEquals(0, backlog(table));
        } finally {
            writer.stop();
            if (first != null) {
                first.destroyForcibly();
            }
        }
        Map<String, List<Integer>> published = consumeSequences(keys, writer.perKey());
        for (String key : keys) {
            List<Integer> values = published.get(key);
            int last = writer.perKey().get(key) - 1;
            for (int v = 0; v <= last; v++) {
                assertTrue(values.contains(v), key + " lost value " + v + ": " + values);
            }
            for (int v = 1; v <= last; v++) {
                assertTrue(values.lastIndexOf(v - 1) < values.lastIndexOf(v),
                        key + ": the last copy of " + (v - 1) + " comes after the last of " + v + ": " + values);
            }
            assertEquals(last, values.get(values.size() - 1), key + " ends with its newest value");
        }
    }

    private Process startRelayProcess(String table) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        Process process = new ProcessBuilder(java, "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp",
                System.getProperty("java.class.path"), RelayProcess.class.getName(), postgres.jdbcUrl("kit"), "kit",
                "kit-password", kafka.bootstrapServers(), table)
                .redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8));
        CompletableFuture<Void> publishing = new CompletableFuture<>();
        StringBuilder log = new StringBuilder();
        Thread reader = new Thread(() -> {
            try {
                for (String line = out.readLine(); line != null; line = out.readLine()) {
                    synchronized (log) {
                        log.append(line).append('\n');
                    }
                    if (line.equals("publishing")) {
                        publishing.complete(null);
                    }
                }
            } catch (Exception ignored) {
                // the process was killed
            }
        }, "relay-process-output");
        reader.setDaemon(true);
        reader.start();
        try {
            publishing.get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            process.destroyForcibly();
            synchronized (log) {
                throw new AssertionError("the relay process did not start publishing:\n" + log, e);
            }
        }
        return process;
    }

    /** Appends rows for its keys round-robin, each value one more than the key's last, each row committed alone. */
    private static final class Writer {
        private final String table;
        private final List<String> keys;
        private final Map<String, Integer> next = new java.util.concurrent.ConcurrentHashMap<>();
        private final java.util.concurrent.atomic.AtomicLong rows = new java.util.concurrent.atomic.AtomicLong();
        private volatile boolean running = true;
        private final Thread thread;
        private volatile Exception failure;

        Writer(String table, List<String> keys) {
            this.table = table;
            this.keys = keys;
            keys.forEach(k -> next.put(k, 0));
            this.thread = new Thread(this::run, "outbox-writer");
            thread.setDaemon(true);
        }

        void start() {
            thread.start();
        }

        private void run() {
            try (Connection c = dataSource.getConnection();
                 PreparedStatement ps = c.prepareStatement("INSERT INTO " + table
                         + " (topic, msg_key, payload) VALUES (?,?,?)")) {
                int i = 0;
                while (running) {
                    String key = keys.get(i++ % keys.size());
                    int value = next.get(key);
                    ps.setString(1, Topics.INSTANCE_STATUS);
                    ps.setString(2, key);
                    ps.setString(3, String.valueOf(value));
                    ps.executeUpdate();
                    next.put(key, value + 1);
                    rows.incrementAndGet();
                    Thread.sleep(2);
                }
            } catch (Exception e) {
                failure = e;
            }
        }

        long written() {
            return rows.get();
        }

        void awaitRows(long atLeast) throws InterruptedException {
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (rows.get() < atLeast && failure == null && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(null, failure);
        }

        void stop() throws InterruptedException {
            running = false;
            thread.join(10_000);
        }

        /** How many values each key got (0 to n-1). */
        Map<String, Integer> perKey() {
            return Map.copyOf(next);
        }
    }

    private static long backlog(String table) throws Exception {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
             java.sql.ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table + " WHERE sent_at IS NULL")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static void awaitCount(String sql, long atLeast) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        long count = 0;
        while (System.nanoTime() < deadline) {
            try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
                 java.sql.ResultSet rs = s.executeQuery(sql)) {
                rs.next();
                count = rs.getLong(1);
            }
            if (count >= atLeast) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("timed out waiting for " + sql + " >= " + atLeast + "; last " + count);
    }

    /** Every value of these keys on the topic, in topic order, until each key's newest arrived. */
    private static Map<String, List<Integer>> consumeSequences(List<String> keys, Map<String, Integer> counts) {
        Map<String, List<Integer>> values = new java.util.HashMap<>();
        keys.forEach(k -> values.put(k, new ArrayList<>()));
        try (KafkaConsumer<String, String> c = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "relay-handover-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class))) {
            c.subscribe(List.of(Topics.INSTANCE_STATUS));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < deadline && keys.stream().anyMatch(k ->
                    !values.get(k).contains(counts.get(k) - 1))) {
                for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(500))) {
                    if (values.containsKey(r.key())) {
                        values.get(r.key()).add(Integer.parseInt(r.value()));
                    }
                }
            }
            // whatever else already arrived (repeats of the newest) counts too
            for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(500))) {
                if (values.containsKey(r.key())) {
                    values.get(r.key()).add(Integer.parseInt(r.value()));
                }
            }
        }
        return values;
    }

    private static void insert(String key, String payload) throws Exception {
        insert(key, payload, null);
    }

    private static void insert(String key, String payload, String traceParent) throws Exception {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement(
                     "INSERT INTO outbox (topic, msg_key, payload, trace_parent) VALUES (?,?,?,?)")) {
            ps.setString(1, Topics.INSTANCE_STATUS);
            ps.setString(2, key);
            ps.setString(3, payload);
            ps.setString(4, traceParent);
            ps.executeUpdate();
        }
    }

    /** The trace a row was written under goes out as the record's traceparent header; an untraced row has none. */
    @Test
    void aRowsTraceGoesOutAsTheRecordsTraceparentHeader() throws Exception {
        String key = UUID.randomUUID().toString();
        String trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        try (Producer<String, String> producer = KafkaClients.stringProducer(kafka.bootstrapServers(), "test");
             OutboxRelay relay = new OutboxRelay(dataSource::getConnection, "outbox", producer, Duration.ofMillis(100),
                     50)) {
            insert(key, "traced", trace);
            insert(key, "untraced", null);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (relay.backlog() > 0 && System.nanoTime() < deadline) {
                relay.relayOnce();
            }
        }
        Map<String, String> headerByValue = new java.util.HashMap<>();
        try (KafkaConsumer<String, String> c = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "relay-trace-test-" + key,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class))) {
            c.subscribe(List.of(Topics.INSTANCE_STATUS));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (headerByValue.size() < 2 && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(500))) {
                    if (key.equals(r.key())) {
                        headerByValue.put(r.value(), String.valueOf(
                                dev.gpufleet.kit.tracing.TraceParent.fromHeaders(r.headers())));
                    }
                }
            }
        }
        assertEquals(Map.of("traced", trace, "untraced", "null"), headerByValue);
    }

    private static List<String> consume(String key, int atLeast) {
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> c = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "relay-test-" + key,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class))) {
            c.subscribe(List.of(Topics.INSTANCE_STATUS));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (values.size() < atLeast && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(500))) {
                    if (key.equals(r.key())) {
                        values.add(r.value() == null ? "<tombstone>" : r.value());
                    }
                }
            }
        }
        return values;
    }
}
