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
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Which of several schedulers acts (DESIGN §3, high availability): the one whose dedicated JDBC connection holds
 * the session-level advisory lock {@code (8084, 0)}. Every poll interval a follower tries to take it; the leader
 * checks it still holds it and, between checks, waits for {@code NOTIFY scheduler_work} from followers. A lost
 * connection is lost leadership (PostgreSQL frees the lock with the session), so a dead leader's successor takes
 * over within one poll interval of PostgreSQL noticing.
 *
 * <p>The lock says who should act; it does not fence. A leader that lost its connection acts for at most one more
 * poll interval before it notices, which is safe because every change is also serialised by the per-model and
 * placement transaction locks (InstanceReconciler).
 */
@ApplicationScoped
public class Leadership {
    private static final Logger LOG = Logger.getLogger(Leadership.class);
    /** Namespace next to the model (8082) and placement (8083) lock spaces. */
    static final int LOCK_SPACE = 8084;
    /** Channel followers NOTIFY with a model id, or {@link #ALL_MODELS}. */
    public static final String CHANNEL = "scheduler_work";
    public static final String ALL_MODELS = "*";
    static final String APPLICATION_NAME_PREFIX = "gpufleet-scheduler:";

    /** Told on the leadership thread; must not block for long. */
    public interface Listener {
        void leadershipChanged(boolean leader);

        /** A follower asked for work on these model ids (or {@link #ALL_MODELS}); only called on the leader. */
        default void workRequested(Set<String> modelIds) {
        }
    }

    private final String jdbcUrl;
    private final String username;
    private final Optional<String> password;
    private final Duration pollInterval;
    private final String instanceId;
    private final Clock clock;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private final Object sleeper = new Object();

    private volatile boolean leader;
    private volatile Instant leaderSince;
    private volatile boolean running;
    private Thread thread;
    private Connection connection;

    public Leadership(@ConfigProperty(name = "quarkus.datasource.jdbc.url") String jdbcUrl,
                      @ConfigProperty(name = "quarkus.datasource.username") String username,
                      @ConfigProperty(name = "quarkus.datasource.password") Optional<String> password,
                      SchedulerConfig config, Clock clock, MeterRegistry registry) {
        Duration pollInterval = config.leaderPollInterval();
        if (pollInterval.isZero() || pollInterval.isNegative()) {
            throw new IllegalArgumentException("gpufleet.scheduler.leader-poll-interval must be positive, was "
                    + pollInterval);
        }
        this.jdbcUrl = jdbcUrl;
        this.username = username;
        this.password = password;
        this.pollInterval = pollInterval;
        this.instanceId = config.instanceId().filter(s -> !s.isBlank()).orElseGet(Leadership::defaultInstanceId);
        this.clock = clock;
        Gauge.builder("gpufleet.scheduler.leader", this, l -> l.leader ? 1 : 0)
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

    public boolean isLeader() {
        return leader;
    }

    /** When this process last became leader, or null while it never was. */
    public Instant leaderSince() {
        return leaderSince;
    }

    public String instanceId() {
        return instanceId;
    }

    /** Registers a listener; told at once if this scheduler already leads. */
    public synchronized void addListener(Listener listener) {
        listeners.add(listener);
        if (leader) {
            call(listener, true);
        }
    }

    void start(@Observes StartupEvent ignored) {
        synchronized (this) {
            running = true;
            thread = new Thread(this::loop, "scheduler-leadership");
            thread.setDaemon(true);
        }
        // the first attempt runs before the service takes traffic, so a lone scheduler acts from the start
        tryOnce();
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
                t.join(pollInterval.toMillis() + 5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (this) {
            // closing the session frees the lock now rather than when PostgreSQL notices the process is gone
            lose("shutting down");
            closeConnection();
        }
    }

    private void loop() {
        while (running) {
            boolean leading = tryOnce();
            if (!leading) {
                pause(pollInterval.toMillis());
            }
        }
    }

    /** One step: take or re-check the lock and, as leader, wait up to a poll interval for work. */
    private synchronized boolean tryOnce() {
        if (!running) {
            return false;
        }
        try {
            if (connection == null) {
                connection = open();
            }
            if (!leader) {
                if (tryLock()) {
                    listen();
                    leader = true;
                    leaderSince = clock.instant();
                    LOG.infof("Scheduler %s is now the leader: it places, reconciles and publishes", instanceId);
                    listeners.forEach(l -> call(l, true));
                }
                return leader;
            }
            PGNotification[] notes = connection.unwrap(PGConnection.class)
                    .getNotifications((int) Math.max(1, pollInterval.toMillis()));
            if (notes != null && notes.length > 0) {
                Set<String> ids = new LinkedHashSet<>();
                for (PGNotification note : notes) {
                    ids.add(note.getParameter());
                }
                listeners.forEach(l -> l.workRequested(ids));
            }
            if (!stillHeld()) {
                lose("the advisory lock is no longer held");
                closeConnection();
            }
            return leader;
        } catch (SQLException | RuntimeException e) {
            if (leader) {
                lose("its database connection failed: " + e.getMessage());
            } else {
                LOG.debugf("Leadership attempt failed, retrying: %s", e.toString());
            }
            closeConnection();
            return false;
        }
    }

    private Connection open() throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", username);
        password.ifPresent(p -> props.setProperty("password", p));
        props.setProperty("ApplicationName", APPLICATION_NAME_PREFIX + instanceId);
        props.setProperty("tcpKeepAlive", "true");
        long seconds = Math.max(5, pollInterval.toSeconds() * 5);
        props.setProperty("connectTimeout", String.valueOf(seconds));
        props.setProperty("socketTimeout", String.valueOf(seconds));
        Connection c = DriverManager.getConnection(jdbcUrl, props);
        c.setAutoCommit(true);
        return c;
    }

    private boolean tryLock() throws SQLException {
        return queryBoolean("SELECT pg_try_advisory_lock(" + LOCK_SPACE + ", 0)");
    }

    private boolean stillHeld() throws SQLException {
        return queryBoolean("SELECT EXISTS (SELECT 1 FROM pg_locks WHERE pid = pg_backend_pid() AND granted"
                + " AND locktype = 'advisory' AND classid = " + LOCK_SPACE + " AND objid = 0 AND objsubid = 2)");
    }

    private void listen() throws SQLException {
        try (Statement s = connection.createStatement()) {
            s.execute("LISTEN " + CHANNEL);
        }
    }

    private boolean queryBoolean(String sql) throws SQLException {
        try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    private void lose(String why) {
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
