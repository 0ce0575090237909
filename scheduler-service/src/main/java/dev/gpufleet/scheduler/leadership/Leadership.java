package dev.gpufleet.scheduler.leadership;

import dev.gpufleet.scheduler.SchedulerConfig;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

import java.net.InetAddress;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Which of several schedulers acts (DESIGN §3, high availability), as a fenced lease in the row
 * {@code scheduler.leader(epoch, holder, renewed_at, since)}, kept on a dedicated JDBC connection.
 *
 * <ul>
 *   <li>The leader renews every poll interval ({@code renewed_at = clock_timestamp()} where the epoch is still its
 *   own). It acts only within the lease of the start of its last confirmed renewal, by its own monotonic clock: a
 *   watchdog ends its leadership (LeaderWork stops) when the lease runs out unconfirmed, whether PostgreSQL is
 *   away, slow or the link is cut.</li>
 *   <li>A follower takes over once {@code renewed_at} is older than the takeover delay by the database's clock,
 *   which is longer than the lease: the old leader has stopped acting by then. Taking over increments the epoch.</li>
 *   <li>The epoch fences writes: every leader-only transaction checks it first ({@link LeaderFence}, a
 *   {@code FOR KEY SHARE} lock on the row), so a takeover waits for the old epoch's transactions to end and every
 *   later one of the old leader fails. Two leaders never both write, even if clocks lie.</li>
 * </ul>
 *
 * <p>Between renewals the leader waits for {@code NOTIFY scheduler_work} from followers on the same connection.
 * A leader shutting down hands over at once (its {@code renewed_at} set to {@code -infinity}). The leader also holds
 * the session-level advisory lock {@code (8084, 0)} that schedulers before the lease held, so that during a
 * rolling update an old one never leads beside a new one, and a new one never takes over from an old one.
 */
@ApplicationScoped
public class Leadership {
    private static final Logger LOG = Logger.getLogger(Leadership.class);
    /** Namespace of the advisory lock older schedulers led by, next to the model (8082) and placement (8083) locks. */
    static final int LOCK_SPACE = 8084;
    /** Channel followers NOTIFY with a model id, or {@link #ALL_MODELS}. */
    public static final String CHANNEL = "scheduler_work";
    public static final String ALL_MODELS = "*";
    /** Channel followers NOTIFY with the ids of workers they stored, comma-separated (the leader's capacity view). */
    public static final String WORKER_CHANNEL = "scheduler_workers";
    static final String APPLICATION_NAME_PREFIX = "gpufleet-scheduler:";

    /** Told on the leadership or the watchdog thread; must not block for long. */
    public interface Listener {
        void leadershipChanged(boolean leader);

        /** A follower asked for work on these model ids (or {@link #ALL_MODELS}); only called on the leader. */
        default void workRequested(Set<String> modelIds) {
        }

        /** A follower stored these workers; only called on the leader. */
        default void workersChanged(Set<String> workerIds) {
        }
    }

    private final String jdbcUrl;
    private final String username;
    private final Optional<String> password;
    private final LeaderTimings timings;
    private final String instanceId;
    private final Clock clock;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private final Object sleeper = new Object();
    /** Guards {@link #lease}, {@link #leader} changes and the listeners' calls. */
    private final Object transitions = new Object();
    private final Lease lease;
    private final ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(task -> {
        Thread t = new Thread(task, "scheduler-leader-lease");
        t.setDaemon(true);
        return t;
    });

    private volatile boolean leader;
    private volatile Instant leaderSince;
    private volatile boolean running;
    private ScheduledFuture<?> expiry;
    private Thread thread;
    /** Used by the leadership thread only (and by {@link #stop} once that has ended). */
    private Connection connection;
    private boolean listening;
    private boolean holdsLegacyLock;

    public Leadership(@ConfigProperty(name = "quarkus.datasource.jdbc.url") String jdbcUrl,
                      @ConfigProperty(name = "quarkus.datasource.username") String username,
                      @ConfigProperty(name = "quarkus.datasource.password") Optional<String> password,
                      SchedulerConfig config, Clock clock, MeterRegistry registry) {
        this.timings = new LeaderTimings(config.leaderPollInterval(), config.leaderLease(),
                config.leaderTakeoverDelay());
        this.jdbcUrl = jdbcUrl;
        this.username = username;
        this.password = password;
        this.instanceId = config.instanceId().filter(s -> !s.isBlank()).orElseGet(Leadership::defaultInstanceId);
        this.clock = clock;
        this.lease = new Lease(timings.lease().toNanos());
        Gauge.builder("gpufleet.scheduler.leader", this, l -> l.isLeader() ? 1 : 0)
                .description("1 while this scheduler is the one that acts, 0 while it follows")
                .tag("instance", this.instanceId)
                .register(registry);
    }

    /** Hostname and pid: unique per process, readable in logs and in pg_stat_activity. */
    static String defaultInstanceId() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            host = "unknown-host";
        }
        return host + "/" + ProcessHandle.current().pid();
    }

    /** Whether this scheduler leads now: it took over and confirmed its epoch within the lease. */
    public boolean isLeader() {
        return epoch() >= 0;
    }

    /** The epoch this scheduler leads in, or -1 while it does not (see {@link LeaderFence}). */
    public long epoch() {
        if (!leader) {
            return -1;
        }
        synchronized (transitions) {
            return leader ? lease.epochAt(System.nanoTime()) : -1;
        }
    }

    /** When this process last became leader, or null while it never was. */
    public Instant leaderSince() {
        return leaderSince;
    }

    public String instanceId() {
        return instanceId;
    }

    public LeaderTimings timings() {
        return timings;
    }

    /** Registers a listener; told at once if this scheduler already leads. */
    public void addListener(Listener listener) {
        synchronized (transitions) {
            listeners.add(listener);
            if (leader) {
                call(listener, true);
            }
        }
    }

    void start(@Observes StartupEvent ignored) {
        synchronized (this) {
            running = true;
            thread = new Thread(this::loop, "scheduler-leadership");
            thread.setDaemon(true);
        }
        // the first attempt runs before the service takes traffic, so a lone scheduler acts from the start
        step();
        thread.start();
    }

    void stop(@Observes ShutdownEvent ignored) {
        Thread t;
        synchronized (this) {
            running = false;
            t = thread;
        }
        synchronized (sleeper) {
            sleeper.notifyAll();
        }
        if (t != null) {
            try {
                t.join(timings.lease().toMillis() + 5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        long handedOver = -1;
        synchronized (transitions) {
            if (leader) {
                handedOver = lease.epochAt(System.nanoTime());
            }
            lose("shutting down");
        }
        synchronized (this) {
            if (handedOver >= 0 && connection != null) {
                handOver(handedOver);
            }
            closeConnection();
        }
        watchdog.shutdownNow();
    }

    private void loop() {
        while (running) {
            long pauseMillis = step();
            if (pauseMillis > 0) {
                pause(pauseMillis);
            }
        }
    }

    /**
     * One step: as follower, try to take over; as leader, wait up to a poll interval for work, then renew.
     *
     * @return how long to pause before the next step
     */
    private synchronized long step() {
        if (!running) {
            return 0;
        }
        try {
            if (connection == null) {
                connection = open();
            }
            if (!leader) {
                return tryTakeOver() ? 0 : timings.pollInterval().toMillis();
            }
            if (!listening) {
                execute("LISTEN " + CHANNEL);
                execute("LISTEN " + WORKER_CHANNEL);
                listening = true;
            }
            PGNotification[] notes = connection.unwrap(PGConnection.class)
                    .getNotifications((int) Math.max(1, timings.pollInterval().toMillis()));
            if (notes != null && notes.length > 0 && isLeader()) {
                Set<String> ids = new LinkedHashSet<>();
                Set<String> workerIds = new LinkedHashSet<>();
                for (PGNotification note : notes) {
                    if (WORKER_CHANNEL.equals(note.getName())) {
                        workerIds.addAll(java.util.Arrays.asList(note.getParameter().split(",")));
                    } else {
                        ids.add(note.getParameter());
                    }
                }
                if (!ids.isEmpty()) {
                    listeners.forEach(l -> l.workRequested(ids));
                }
                if (!workerIds.isEmpty()) {
                    listeners.forEach(l -> l.workersChanged(workerIds));
                }
            }
            renew();
            return 0;
        } catch (SQLException | RuntimeException e) {
            // a leader keeps leading while its lease lasts, and renews on a new connection; the watchdog ends it
            LOG.debugf("Leadership step failed (%s), retrying on a new connection", e.toString());
            closeConnection();
            return Math.max(50, timings.pollInterval().toMillis() / 4);
        }
    }

    private boolean tryTakeOver() throws SQLException {
        // a cheap look first: has the holder's renewal aged past the takeover delay, by the database's clock?
        if (!queryBoolean("SELECT renewed_at < clock_timestamp() - make_interval(secs => ?) FROM scheduler.leader"
                + " WHERE id = 1", seconds(timings.takeoverDelay().toMillis()))) {
            releaseLegacyLock();
            return false;
        }
        if (!holdsLegacyLock) {
            // held by a scheduler of the version before the lease while it leads
            holdsLegacyLock = queryBoolean("SELECT pg_try_advisory_lock(" + LOCK_SPACE + ", 0)");
            if (!holdsLegacyLock) {
                return false;
            }
        }
        long sentAt = System.nanoTime();
        long epoch;
        connection.setAutoCommit(false);
        try {
            execute("SET LOCAL lock_timeout = " + timings.pollInterval().toMillis());
            // FOR UPDATE waits for the old epoch's fenced transactions (FOR KEY SHARE) to end
            if (!queryBoolean("SELECT true FROM scheduler.leader WHERE id = 1"
                    + " AND renewed_at < clock_timestamp() - make_interval(secs => ?) FOR UPDATE",
                    seconds(timings.takeoverDelay().toMillis()))) {
                connection.rollback();
                connection.setAutoCommit(true);
                releaseLegacyLock();
                return false;
            }
            sentAt = System.nanoTime();
            try (PreparedStatement ps = connection.prepareStatement("UPDATE scheduler.leader SET epoch = epoch + 1,"
                    + " holder = ?, renewed_at = clock_timestamp(), since = clock_timestamp() WHERE id = 1"
                    + " RETURNING epoch")) {
                ps.setString(1, instanceId);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    epoch = rs.getLong(1);
                }
            }
            connection.commit();
        } catch (SQLException | RuntimeException e) {
            try {
                connection.rollback();
            } catch (SQLException ignored) {
                // the connection is closed by the caller
            }
            throw e;
        } finally {
            connection.setAutoCommit(true);
        }
        synchronized (transitions) {
            lease.granted(epoch, sentAt);
            leader = true;
            leaderSince = clock.instant();
            listening = false;
            LOG.infof("Scheduler %s is now the leader (epoch %d): it places, reconciles and publishes", instanceId,
                    epoch);
            listeners.forEach(l -> call(l, true));
            watchExpiry();
        }
        return true;
    }

    private void renew() throws SQLException {
        long epoch;
        synchronized (transitions) {
            epoch = lease.epochAt(System.nanoTime());
        }
        if (epoch < 0) {
            return; // the watchdog ends it
        }
        long sentAt = System.nanoTime();
        int updated;
        try (PreparedStatement ps = connection.prepareStatement("UPDATE scheduler.leader"
                + " SET renewed_at = clock_timestamp() WHERE id = 1 AND epoch = ? AND holder = ?")) {
            ps.setLong(1, epoch);
            ps.setString(2, instanceId);
            updated = ps.executeUpdate();
        }
        if (updated == 1 && !holdsLegacyLock) {
            holdsLegacyLock = queryBoolean("SELECT pg_try_advisory_lock(" + LOCK_SPACE + ", 0)");
        }
        synchronized (transitions) {
            if (updated == 1) {
                lease.renewed(epoch, sentAt);
                watchExpiry();
            } else {
                lose("another scheduler took over (epoch " + epoch + " superseded)");
            }
        }
    }

    /** Ends leadership when the lease runs out without a confirmed renewal; call holding {@link #transitions}. */
    private void watchExpiry() {
        if (expiry != null) {
            expiry.cancel(false);
        }
        long remaining = lease.remainingAt(System.nanoTime());
        expiry = watchdog.schedule(() -> {
            synchronized (transitions) {
                if (leader && lease.epochAt(System.nanoTime()) < 0) {
                    lose("it could not confirm its lease within " + timings.lease().toMillis() + " ms");
                }
            }
        }, remaining, TimeUnit.NANOSECONDS);
    }

    /** Lets a follower take over at its next poll; the caller has stopped acting. */
    private void handOver(long epoch) {
        try (PreparedStatement ps = connection.prepareStatement("UPDATE scheduler.leader"
                + " SET renewed_at = '-infinity' WHERE id = 1 AND epoch = ? AND holder = ?")) {
            ps.setLong(1, epoch);
            ps.setString(2, instanceId);
            ps.executeUpdate();
        } catch (SQLException e) {
            LOG.debugf("Could not hand over leadership, a follower takes over after the delay: %s", e.toString());
        }
    }

    private Connection open() throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", username);
        password.ifPresent(p -> props.setProperty("password", p));
        props.setProperty("ApplicationName", APPLICATION_NAME_PREFIX + instanceId);
        props.setProperty("tcpKeepAlive", "true");
        long leaseSeconds = Math.max(1, timings.lease().toSeconds());
        // neither connecting nor logging in may outlast a lease (a cut link accepts and then says nothing)
        props.setProperty("connectTimeout", String.valueOf(leaseSeconds));
        props.setProperty("loginTimeout", String.valueOf(leaseSeconds));
        props.setProperty("socketTimeout", String.valueOf(leaseSeconds));
        Connection c = DriverManager.getConnection(jdbcUrl, props);
        try {
            c.setAutoCommit(true);
            // a statement without an answer within the lease fails; the lease has run out by then anyway
            c.setNetworkTimeout(Runnable::run, (int) timings.lease().toMillis());
            try (Statement s = c.createStatement()) {
                // PostgreSQL ends this session (and frees the advisory lock) when it falls silent for a lease
                s.execute("SET idle_session_timeout = " + timings.lease().toMillis());
                s.execute("SET idle_in_transaction_session_timeout = " + timings.lease().toMillis());
            }
        } catch (SQLException | RuntimeException e) {
            c.close();
            throw e;
        }
        holdsLegacyLock = false;
        listening = false;
        return c;
    }

    private void releaseLegacyLock() throws SQLException {
        if (holdsLegacyLock) {
            queryBoolean("SELECT pg_advisory_unlock(" + LOCK_SPACE + ", 0)");
            holdsLegacyLock = false;
        }
    }

    private boolean queryBoolean(String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    private void execute(String sql) throws SQLException {
        try (Statement s = connection.createStatement()) {
            s.execute(sql);
        }
    }

    private static double seconds(long millis) {
        return millis / 1000.0;
    }

    /** Call holding {@link #transitions}. */
    private void lose(String why) {
        lease.ended();
        if (expiry != null) {
            expiry.cancel(false);
            expiry = null;
        }
        if (!leader) {
            return;
        }
        leader = false;
        LOG.warnf("Scheduler %s is no longer the leader (%s): it stops acting and follows", instanceId, why);
        listeners.forEach(l -> call(l, false));
    }

    private void call(Listener listener, boolean nowLeader) {
        try {
            listener.leadershipChanged(nowLeader);
        } catch (RuntimeException e) {
            LOG.errorf(e, "Leadership listener %s failed", listener);
        }
    }

    private void closeConnection() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // it is being dropped because it failed
            }
            connection = null;
        }
        listening = false;
        holdsLegacyLock = false;
    }

    private void pause(long millis) {
        synchronized (sleeper) {
            if (!running) {
                return;
            }
            try {
                sleeper.wait(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                running = false;
            }
        }
    }
}
