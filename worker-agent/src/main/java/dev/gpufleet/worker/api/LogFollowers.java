package dev.gpufleet.worker.api;

import dev.gpufleet.worker.instances.LogSource;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.subscription.MultiEmitter;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Streams what backends append to their logs. One timer thread polls every follower's file a few times a second
 * (log files are local and appends small), so a follower costs no thread; a follower ends when its backend's
 * process has ended and the rest is sent, or when the client goes away.
 */
@ApplicationScoped
public class LogFollowers {
    private static final Logger LOG = Logger.getLogger(LogFollowers.class);
    static final Duration POLL = Duration.ofMillis(200);

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(task -> {
        Thread thread = new Thread(task, "gpufleet-log-follow");
        thread.setDaemon(true);
        return thread;
    });
    private final Set<Follower> followers = ConcurrentHashMap.newKeySet();

    private final class Follower {
        final LogSource source;
        final MultiEmitter<? super String> emitter;
        long offset;

        Follower(LogSource source, MultiEmitter<? super String> emitter, long offset) {
            this.source = source;
            this.emitter = emitter;
            this.offset = offset;
        }

        void poll() {
            if (emitter.isCancelled()) {
                followers.remove(this);
                return;
            }
            boolean ended = source.ended().isDone();
            try {
                LogLines.Chunk chunk;
                do {
                    chunk = LogLines.since(source.file(), offset, ended);
                    offset = chunk.next();
                    if (!chunk.text().isEmpty()) {
                        emitter.emit(chunk.text());
                    }
                } while (chunk.text().length() >= LogLines.MAX_CHUNK / 4 && !emitter.isCancelled());
            } catch (IOException e) {
                followers.remove(this);
                emitter.emit("\n(gpufleet: cannot read " + source.file().getFileName() + " any more: "
                        + e.getMessage() + ")\n");
                emitter.complete();
                return;
            }
            if (ended) {
                followers.remove(this);
                emitter.complete();
            }
        }
    }

    public LogFollowers() {
        timer.scheduleWithFixedDelay(this::pollAll, POLL.toMillis(), POLL.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The tail first, then whatever is appended after it. */
    public Multi<String> follow(LogSource source, LogLines.Tail tail) {
        return Multi.createFrom().emitter(emitter -> {
            if (!tail.text().isEmpty()) {
                emitter.emit(tail.text());
            }
            Follower follower = new Follower(source, emitter, tail.end());
            emitter.onTermination(() -> followers.remove(follower));
            followers.add(follower);
        });
    }

    private void pollAll() {
        for (Follower follower : followers) {
            try {
                follower.poll();
            } catch (RuntimeException e) {
                LOG.debugf("Log follower of %s failed: %s", follower.source.instanceId(), e);
                followers.remove(follower);
            }
        }
    }

    @PreDestroy
    void stop() {
        timer.shutdownNow();
        followers.forEach(f -> f.emitter.complete());
    }
}
