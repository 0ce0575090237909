package dev.gpufleet.kit.outbox;

import dev.gpufleet.kit.tracing.TraceParent;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.zip.CRC32;

/**
 * Publishes rows of a service's outbox table to Kafka in id order and marks them sent. A service writes its
 * entity row and the outbox row in one transaction, so an event exists exactly when its change committed; this
 * relay makes sure it reaches Kafka, however long Kafka is away (at-least-once: consumers drop repeats by
 * revision).
 *
 * <p><b>One relay per outbox at a time.</b> Two relays publishing different batches at once (a rolling update, a
 * leader hand-over) could put an older event of a key after a newer one, and on a compacted topic the older one is
 * then what stays. So a relay publishes only while it holds the session-level advisory lock
 * {@code (LOCK_SPACE, crc32(table))} on its own database session; the others try to take it every poll interval and
 * carry on from the first unsent row once it is freed (closing, dying or losing that session frees it). Rows a
 * holder published but had not yet marked sent are published again by the next, in id order, so each key's events
 * keep their order across the hand-over and the newest is the last.
 *
 * <p>A relay cut off from PostgreSQL stops before another can start: it hands a row to Kafka only within the
 * {@code lease} of the start of the round trip that last proved its session alive (the claim of the batch), and it
 * asks PostgreSQL to end its session after {@link #sessionTimeout} without a word from it (longer than the lease),
 * which is when the lock is freed for the next. Records already handed to the producer are acknowledged well within
 * the margin while the broker is healthy.
 *
 * <p>A batch whose sends are not all acknowledged is rolled back whole and retried with backoff; the producer is
 * idempotent, so the retry keeps per-key order.
 *
 * <p>Table shape (see each service's Flyway migration): {@code id bigserial, topic text, msg_key text,
 * payload text (null = tombstone), created_at timestamptz, sent_at timestamptz, trace_parent text} (the W3C
 * traceparent of the work that wrote the row, null when it was not traced; sent as the record's
 * {@code traceparent} header).
 */
public final class OutboxRelay implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(OutboxRelay.class);
    /** First key of the relays' advisory locks, next to the scheduler's (8082 to 8084). */
    public static final int LOCK_SPACE = 8085;
    public static final Duration DEFAULT_LEASE = Duration.ofSeconds(5);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);
    private static final Duration KEEP_SENT = Duration.ofHours(24);
    private static final Duration ACK_TIMEOUT = Duration.ofSeconds(30);

    /** Where a relay gets its own database session: every call a new connection of its own, never a pooled one. */
    @FunctionalInterface
    public interface Sessions {
        Connection open() throws SQLException;
    }

    private final Sessions sessions;
    private final String table;
    private final int lockKey;
    private final Producer<String, String> producer;
    private final Duration pollInterval;
    private final int batchSize;
    private final Duration lease;
    private final Duration sessionTimeout;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wake = lock.newCondition();
    private boolean wakeRequested;
    private volatile boolean running;
    private volatile boolean holding;
    private volatile String lastError;
    private Thread thread;
    private Connection session;
    private boolean waitingLogged;
    private long lastPurgeNanos = System.nanoTime();

    public OutboxRelay(Sessions sessions, String table, Producer<String, String> producer, Duration pollInterval,
                       int batchSize) {
        this(sessions, table, producer, pollInterval, batchSize, DEFAULT_LEASE);
    }

    /** @param lease how long after proving its session alive this relay may hand rows to Kafka */
    public OutboxRelay(Sessions sessions, String table, Producer<String, String> producer, Duration pollInterval,
                       int batchSize, Duration lease) {
        if (!table.matches("[a-z_][a-z0-9_.]*")) {
            throw new IllegalArgumentException("bad outbox table name " + table);
        }
        if (lease.isNegative() || lease.isZero()) {
            throw new IllegalArgumentException("the relay's lease must be positive, was " + lease);
        }
        this.sessions = sessions;
        this.table = table;
        this.lockKey = lockKey(table);
        this.producer = producer;
        this.pollInterval = pollInterval;
        this.batchSize = batchSize;
        this.lease = lease;
        // PostgreSQL ends a silent session after this: well past the lease, and past a few polls of a live relay
        Duration twiceTheLease = lease.multipliedBy(2);
        Duration pollsPastTheLease = lease.plus(pollInterval.multipliedBy(3));
        this.sessionTimeout = twiceTheLease.compareTo(pollsPastTheLease) >= 0 ? twiceTheLease : pollsPastTheLease;
    }

    /** Dedicated JDBC sessions for a relay (PostgreSQL's driver, found through {@link DriverManager}). */
    public static Sessions jdbc(String url, String user, Optional<String> password, String applicationName) {
        return () -> {
            Properties props = new Properties();
            props.setProperty("user", user);
            password.ifPresent(p -> props.setProperty("password", p));
            props.setProperty("ApplicationName", applicationName);
            props.setProperty("tcpKeepAlive", "true");
            // neither connecting nor logging in may hang on a link that accepts and then says nothing
            props.setProperty("connectTimeout", "10");
            props.setProperty("loginTimeout", "10");
            props.setProperty("socketTimeout", "10");
            return DriverManager.getConnection(url, props);
        };
    }

    /** The second key of the table's lock: stable across processes, versions and PostgreSQL releases. */
    static int lockKey(String table) {
        CRC32 crc = new CRC32();
        crc.update(table.getBytes(StandardCharsets.UTF_8));
        return (int) crc.getValue();
    }

    public Duration sessionTimeout() {
        return sessionTimeout;
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

    /** Whether this relay holds the outbox's lock (it is the one that publishes). */
    public boolean isPublishing() {
        return holding;
    }

    /** Rows not yet acknowledged by Kafka. */
    public long backlog() throws SQLException {
        try (Connection c = sessions.open();
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
        synchronized (this) {
            // ending the session frees the lock now rather than when PostgreSQL notices
            dropSession();
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
                if (holding) {
                    purgeOldRows();
                }
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

    /**
     * Publishes one batch if this relay holds the outbox's lock or can take it now. Public for tests and for a
     * final flush.
     *
     * @return how many rows were sent: 0 when there were none, or when another relay holds the lock
     */
    public synchronized int relayOnce() throws Exception {
        try {
            if (!holdLock()) {
                return 0;
            }
            return publishBatch(session);
        } catch (SQLException | LeaseExpired e) {
            // the session is in doubt: it goes, and with it the lock and the claim; the rows stay unsent
            dropSession();
            throw e;
        }
        // anything else is Kafka's: the batch was rolled back and this relay keeps the lock and retries it, so
        // records its producer may still deliver are never overtaken by another relay's
    }

    /** The lease ran out before the whole batch was handed to Kafka. */
    private static final class LeaseExpired extends Exception {
        LeaseExpired(Duration lease) {
            super("the lease of " + lease.toMillis() + " ms ran out before the batch was handed to Kafka");
        }
    }

    private boolean holdLock() throws SQLException {
        if (session == null) {
            session = openSession();
        }
        if (holding) {
            return true;
        }
        try (Statement s = session.createStatement();
             ResultSet rs = s.executeQuery("SELECT pg_try_advisory_lock(" + LOCK_SPACE + ", " + lockKey + ")")) {
            rs.next();
            holding = rs.getBoolean(1);
        }
        if (holding) {
            waitingLogged = false;
            LOG.infof("Outbox %s: this relay publishes it now", table);
        } else if (!waitingLogged) {
            waitingLogged = true;
            LOG.infof("Outbox %s: another relay publishes it; this one takes over when that one stops", table);
        }
        return holding;
    }

    private int publishBatch(Connection c) throws Exception {
        c.setAutoCommit(false);
        try {
            List<Long> ids = new ArrayList<>();
            List<Future<RecordMetadata>> acks = new ArrayList<>();
            // the claim is the round trip that proves this session, and so its lock, alive
            long confirmedAt = System.nanoTime();
            // no SKIP LOCKED: a row another session holds is waited for, never skipped ahead of
            try (PreparedStatement ps = c.prepareStatement("SELECT id, topic, msg_key, payload, trace_parent FROM "
                    + table + " WHERE sent_at IS NULL ORDER BY id LIMIT ? FOR UPDATE")) {
                ps.setInt(1, batchSize);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        if (System.nanoTime() - confirmedAt > lease.toNanos()) {
                            throw new LeaseExpired(lease);
                        }
                        ids.add(rs.getLong(1));
                        ProducerRecord<String, String> record = new ProducerRecord<>(rs.getString(2),
                                rs.getString(3), rs.getString(4));
                        String trace = rs.getString(5);
                        if (trace != null) {
                            record.headers().add(TraceParent.HEADER, trace.getBytes(StandardCharsets.ISO_8859_1));
                        }
                        acks.add(producer.send(record));
                    }
                }
            }
            if (ids.isEmpty()) {
                c.rollback();
                return 0;
            }
            producer.flush();
            for (Future<RecordMetadata> ack : acks) {
                ack.get(ACK_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            }
            try (PreparedStatement ps = c.prepareStatement("UPDATE " + table
                    + " SET sent_at = now() WHERE id = ANY (?)")) {
                ps.setArray(1, c.createArrayOf("bigint", ids.toArray()));
                ps.executeUpdate();
            }
            c.commit();
            return ids.size();
        } catch (Exception e) {
            c.rollback(); // a session that cannot roll back is in doubt: the SQLException drops it
            throw e;
        } finally {
            c.setAutoCommit(true);
        }
    }

    private Connection openSession() throws SQLException {
        Connection c = sessions.open();
        try {
            c.setAutoCommit(true);
            // a statement that gets no answer within the lease fails instead of hanging
            c.setNetworkTimeout(Runnable::run, (int) Math.min(Integer.MAX_VALUE, lease.toMillis()));
            long timeoutMillis = sessionTimeout.toMillis();
            try (Statement s = c.createStatement()) {
                s.execute("SET idle_in_transaction_session_timeout = " + timeoutMillis);
                // PostgreSQL 14 and later; before that only TCP keepalives end a silent session
                s.execute("SET idle_session_timeout = " + timeoutMillis);
            } catch (SQLException e) {
                LOG.warnf("Outbox %s: PostgreSQL cannot end this relay's session when it falls silent (%s); a relay"
                        + " cut off from it may hold the outbox until TCP gives up", table, e.getMessage());
            }
            return c;
        } catch (SQLException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    private void dropSession() {
        if (holding) {
            LOG.infof("Outbox %s: this relay stopped publishing it", table);
        }
        holding = false;
        if (session != null) {
            try {
                session.close();
            } catch (SQLException ignored) {
                // it is being dropped because it failed or the relay stops
            }
            session = null;
        }
    }

    private synchronized void purgeOldRows() throws SQLException {
        if (System.nanoTime() - lastPurgeNanos < TimeUnit.MINUTES.toNanos(10) || session == null) {
            return;
        }
        lastPurgeNanos = System.nanoTime();
        try (PreparedStatement ps = session.prepareStatement("DELETE FROM " + table
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
