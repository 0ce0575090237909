package dev.gpufleet.gateway.usage;

import org.jboss.logging.Logger;

import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Collects usage in memory and writes it every {@code interval} on a thread of its own, so a request never waits
 * for the database. A batch whose write failed is kept as it was, with its id, and sent again before anything newer:
 * the store counts a batch id once, so a write whose commit went unanswered is not counted twice. Meanwhile new
 * usage keeps adding up in memory (bounded: {@link UsageAggregate}). {@link #close()} writes the rest.
 */
public final class UsageBatcher implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(UsageBatcher.class);
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final long PRUNE_EVERY_MILLIS = TimeUnit.HOURS.toMillis(1);

    /** Rows written together under one id. */
    private record Batch(UUID id, Map<UsageKey, UsageCounts> rows) {
    }

    private final UsageAggregate aggregate;
    private final UsageStore store;
    private final ScheduledExecutorService writer;
    /** A batch not known to be written; guarded by {@code this} (the writer). */
    private volatile Batch unwritten;
    private long prunedAtMillis;
    private volatile boolean closed;

    public UsageBatcher(UsageStore store, Duration interval) {
        this(store, interval, 100_000);
    }

    /** @param maxPending how many distinct (key, model, day) rows may wait in memory for the database */
    public UsageBatcher(UsageStore store, Duration interval, int maxPending) {
        this.store = store;
        this.aggregate = new UsageAggregate(maxPending);
        this.writer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "gpufleet-usage-writer");
            thread.setDaemon(true);
            return thread;
        });
        long millis = interval.toMillis();
        writer.scheduleWithFixedDelay(this::write, millis, millis, TimeUnit.MILLISECONDS);
    }

    /** @return false if the usage could not be kept (a new row while the pending rows are at their bound) */
    public boolean add(UsageKey key, UsageCounts counts) {
        boolean kept = aggregate.add(key, counts);
        if (closed) {
            // a request that ended while the gateway stops: write it now rather than lose it
            LOG.warnf("Usage of key %s for %s arrived after the usage writer stopped; writing it now", key.keyId(),
                    key.model());
            write();
        }
        return kept;
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
        Batch first = unwritten;
        if (first != null && !send(first)) {
            return;
        }
        unwritten = null;
        Map<UsageKey, UsageCounts> rows = aggregate.drain();
        if (!rows.isEmpty()) {
            Batch next = new Batch(UUID.randomUUID(), rows);
            if (!send(next)) {
                unwritten = next;
                return;
            }
        }
        pruneNowAndThen();
    }

    /** True once the batch is in the database (now, or by an earlier try whose answer was lost). */
    private boolean send(Batch batch) {
        try {
            if (!store.add(batch.id(), batch.rows())) {
                LOG.infof("Usage batch %s had been written already; not counted again", batch.id());
            } else if (batch == unwritten) {
                LOG.infof("Wrote the %d usage rows kept while the database was away", batch.rows().size());
            }
            return true;
        } catch (SQLException | RuntimeException e) {
            if (batch != unwritten) {
                LOG.warnf("Could not write usage (%d rows kept in memory until the database answers): %s",
                        batch.rows().size(), e.toString());
            }
            return false;
        }
    }

    private void pruneNowAndThen() {
        long now = System.currentTimeMillis();
        if (now - prunedAtMillis < PRUNE_EVERY_MILLIS) {
            return;
        }
        prunedAtMillis = now;
        try {
            store.pruneBatchIds();
        } catch (SQLException | RuntimeException e) {
            LOG.debugf("Could not prune usage batch ids: %s", e.toString());
        }
    }

    /** Rows waiting to be written. */
    public int pending() {
        Batch first = unwritten;
        return aggregate.size() + (first == null ? 0 : first.rows().size());
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
        int lost = pending();
        if (lost > 0) {
            LOG.errorf("%d usage rows could not be written before the gateway stopped and are lost", lost);
        }
    }
}
