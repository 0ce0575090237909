package dev.gpufleet.kit.outbox;

import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.jboss.logging.Logger;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Publishes rows of a service's outbox table to Kafka in id order and marks them sent. A service writes its
 * entity row and the outbox row in one transaction, so an event exists exactly when its change committed; this
 * relay makes sure it reaches Kafka, however long Kafka is away (at-least-once: consumers drop repeats by
 * revision).
 *
 * <p>Rows are claimed with {@code FOR UPDATE SKIP LOCKED}, so two replicas of a service never publish the same
 * batch concurrently. A batch whose sends are not all acknowledged is rolled back whole and retried with backoff;
 * the producer is idempotent, so the retry keeps per-key order.
 *
 * <p>Table shape (see each service's Flyway migration): {@code id bigserial, topic text, msg_key text,
 * payload text (null = tombstone), created_at timestamptz, sent_at timestamptz}.
 */
public final class OutboxRelay implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(OutboxRelay.class);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);
    private static final Duration KEEP_SENT = Duration.ofHours(24);

    private final DataSource dataSource;
    private final String table;
    private final Producer<String, String> producer;
    private final Duration pollInterval;
    private final int batchSize;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wake = lock.newCondition();
    private boolean wakeRequested;
    private volatile boolean running;
    private volatile String lastError;
    private Thread thread;
    private long lastPurgeNanos = System.nanoTime();

    public OutboxRelay(DataSource dataSource, String table, Producer<String, String> producer, Duration pollInterval,
                       int batchSize) {
        if (!table.matches("[a-z_][a-z0-9_.]*")) {
            throw new IllegalArgumentException("bad outbox table name " + table);
        }
        this.dataSource = dataSource;
        this.table = table;
        this.producer = producer;
        this.pollInterval = pollInterval;
        this.batchSize = batchSize;
    }

    public synchronized void start() {
        if (running) {
            return;
        }
        running = true;
        thread = new Thread(this::loop, "outbox-relay-" + table);
        thread.setDaemon(true);
        thread.start();
    }

    /** Asks the relay to look now instead of at the next poll; call after committing outbox rows. */
    public void wakeUp() {
        lock.lock();
        try {
            wakeRequested = true;
            wake.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Rows not yet acknowledged by Kafka. */
    public long backlog() throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM " + table + " WHERE sent_at IS NULL");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            running = false;
            t = thread;
        }
        wakeUp();
        if (t != null) {
            try {
                t.join(TimeUnit.SECONDS.toMillis(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void loop() {
        long backoffMillis = 0;
        while (running) {
            try {
                int sent;
                do {
                    sent = relayOnce();
                } while (sent == batchSize && running);
                purgeOldRows();
                if (lastError != null) {
                    LOG.infof("Outbox %s publishing again", table);
                }
                lastError = null;
                backoffMillis = 0;
                await(pollInterval.toMillis());
            } catch (Exception e) {
                if (lastError == null) {
                    LOG.warnf("Outbox %s cannot publish yet (%s); rows stay queued and are retried", table,
                            rootMessage(e));
                }
                lastError = rootMessage(e);
                backoffMillis = Math.min(backoffMillis == 0 ? 250 : backoffMillis * 2, MAX_BACKOFF.toMillis());
                sleep(backoffMillis);
            }
        }
    }

    /** Publishes one batch; returns how many rows were sent. Public for tests and for a final flush. */
    public int relayOnce() throws Exception {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                List<Long> ids = new ArrayList<>();
                List<Future<RecordMetadata>> acks = new ArrayList<>();
                try (PreparedStatement ps = c.prepareStatement("SELECT id, topic, msg_key, payload FROM " + table
                        + " WHERE sent_at IS NULL ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED")) {
                    ps.setInt(1, batchSize);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            ids.add(rs.getLong(1));
                            acks.add(producer.send(new ProducerRecord<>(rs.getString(2), rs.getString(3),
                                    rs.getString(4))));
                        }
                    }
                }
                if (ids.isEmpty()) {
                    c.rollback();
                    return 0;
                }
                producer.flush();
                for (Future<RecordMetadata> ack : acks) {
                    ack.get(30, TimeUnit.SECONDS);
                }
                try (PreparedStatement ps = c.prepareStatement("UPDATE " + table
                        + " SET sent_at = now() WHERE id = ANY (?)")) {
                    ps.setArray(1, c.createArrayOf("bigint", ids.toArray()));
                    ps.executeUpdate();
                }
                c.commit();
                return ids.size();
            } catch (Exception e) {
                c.rollback();
                throw e;
            }
        }
    }

    private void purgeOldRows() throws SQLException {
        if (System.nanoTime() - lastPurgeNanos < TimeUnit.MINUTES.toNanos(10)) {
            return;
        }
        lastPurgeNanos = System.nanoTime();
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("DELETE FROM " + table
                     + " WHERE sent_at < now() - make_interval(secs => ?)")) {
            ps.setLong(1, KEEP_SENT.toSeconds());
            ps.executeUpdate();
        }
    }

    private void await(long millis) throws InterruptedException {
        lock.lock();
        try {
            long nanos = TimeUnit.MILLISECONDS.toNanos(millis);
            while (!wakeRequested && running && nanos > 0) {
                nanos = wake.awaitNanos(nanos);
            }
            wakeRequested = false;
        } finally {
            lock.unlock();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName() + ": " + t.getMessage();
    }
}
