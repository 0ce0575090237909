package dev.gpufleet.worker.processes;

import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The one thread a supervising component keeps all its state on: process exits, probe answers and timers are
 * posted to it and run in order, so no lock is needed. Beside it a timer for the KILLs of stopping process trees,
 * apart so they fire even while the step thread waits. After {@link #shutdown()} posts are dropped.
 */
public final class StepThread {
    private final ScheduledExecutorService executor;
    private final ScheduledExecutorService killTimer;
    private final Logger log;
    private final String failedStep;

    /** @param failedStep what the log says when a step throws, e.g. "Supervisor step failed" */
    public StepThread(String threadName, String killThreadName, Logger log, String failedStep) {
        this.executor = Executors.newSingleThreadScheduledExecutor(task -> daemon(task, threadName));
        this.killTimer = Executors.newSingleThreadScheduledExecutor(task -> daemon(task, killThreadName));
        this.log = log;
        this.failedStep = failedStep;
    }

    private static Thread daemon(Runnable task, String name) {
        Thread thread = new Thread(task, name);
        thread.setDaemon(true);
        return thread;
    }

    ScheduledExecutorService killTimer() {
        return killTimer;
    }

    public boolean isShutdown() {
        return executor.isShutdown();
    }

    public void post(Runnable task) {
        try {
            executor.execute(() -> {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    log.errorf(e, failedStep);
                }
            });
        } catch (RejectedExecutionException e) {
            // shutting down: nothing more to do
        }
    }

    /** @return null when shutting down */
    public ScheduledFuture<?> schedule(Runnable task, Duration delay) {
        try {
            return executor.schedule(() -> post(task), delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            return null;
        }
    }

    /**
     * Runs {@code stopping} as a step, waits until every process it stops is gone (at most {@code wait}), then ends
     * both threads.
     *
     * @return why not everything was confirmed stopped; empty when it was
     */
    public Optional<Exception> shutdownAfter(Supplier<List<CompletableFuture<Void>>> stopping, Duration wait) {
        CompletableFuture<Void> allStopped = new CompletableFuture<>();
        post(() -> CompletableFuture.allOf(stopping.get().toArray(CompletableFuture[]::new))
                .whenComplete((ignored, failure) -> allStopped.complete(null)));
        Optional<Exception> notConfirmed = Optional.empty();
        try {
            allStopped.get(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            notConfirmed = Optional.of(e);
        }
        shutdown();
        return notConfirmed;
    }

    /** Ends both threads; waits up to 2 s for a step that is running. */
    public void shutdown() {
        executor.shutdownNow();
        killTimer.shutdownNow();
        try {
            executor.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
