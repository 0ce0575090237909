package dev.gpufleet.gateway.usage;

import org.jboss.logging.Logger;

import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Collects usage in memory and writes it every {@code interval} on a thread of its own, so a request never waits
 * for the database. What a write could not store stays for the next one; {@link #close()} writes the rest.
 */
public final class UsageBatcher implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(UsageBatcher.class);
    private static final Duration WAIT = Duration.ofSeconds(30);

    private final UsageAggregate aggregate = new UsageAggregate();
    private final UsageStore store;
    private final ScheduledExecutorService writer;
    private volatile boolean closed;

    public UsageBatcher(UsageStore store, Duration interval) {
        this.store = store;
        this.writer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "gpufleet-usage-writer");
            thread.setDaemon(true);
            return thread;
        });
        long millis = interval.toMillis();
        writer.scheduleWithFixedDelay(this::write, millis, millis, TimeUnit.MILLISECONDS);
    }

    public void add(UsageKey key, UsageCounts counts) {
        aggregate.add(key, counts);
        if (closed) {
            // a request that ended while the gateway stops: write it now rather than lose it
            LOG.warnf("Usage of key %s for %s arrived after the usage writer stopped; writing it now", key.keyId(),
                    key.model());
            write();
        }
    }

    /** Writes what is held now and returns when it is stored (or could not be: then it stays held). */
    public void flush() {
        if (closed) {
            write();
            return;
        }
        try {
            writer.submit(this::write).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.warnf("Writing usage did not finish: %s", e.toString());
        }
    }

    private synchronized void write() {
        Map<UsageKey, UsageCounts> batch = aggregate.drain();
        if (batch.isEmpty()) {
            return;
        }
        try {
            store.add(batch);
        } catch (SQLException | RuntimeException e) {
            aggregate.restore(batch);
            LOG.warnf("Could not write usage (%d rows kept for the next try): %s", batch.size(), e.toString());
        }
    }

    /** Rows waiting to be written. */
    public int pending() {
        return aggregate.size();
    }

    /** Stops the timer and writes everything held; what still cannot be written is logged as lost. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        flush();
        closed = true;
        writer.shutdown();
        try {
            writer.awaitTermination(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        write();
        int lost = aggregate.size();
        if (lost > 0) {
            LOG.errorf("%d usage rows could not be written before the gateway stopped and are lost", lost);
        }
    }
}
