package dev.gpufleet.scheduler.testing;

import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.ObservedInstance;
import dev.gpufleet.events.Topics;
import dev.gpufleet.events.WorkerReported;
import dev.gpufleet.events.WorkerState;

import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A worker agent's heartbeats as a test sends them: every second while running, with growing revisions, numbered
 * in one agent run as the agent numbers them.
 */
public final class Heartbeats implements AutoCloseable {
    private final Events events;
    private final Clock clock;
    private final AtomicReference<WorkerReported> report;
    private final AtomicLong revision = new AtomicLong();
    private final String runId = UUID.randomUUID().toString();
    private ScheduledExecutorService sender;

    public Heartbeats(Events events, Clock clock, WorkerReported report) {
        this.events = events;
        this.clock = clock;
        this.report = new AtomicReference<>(report);
    }

    /** A CPU-only worker: {@code ramTotal} bytes of RAM, {@code ramUsed} of them in use. */
    public static WorkerReported cpuWorker(String id, String name, String address, Map<String, String> labels,
                                           long ramTotal, long ramUsed) {
        return new WorkerReported(id, name, address, 10150, "linux", "amd64", labels, 8, 5.0, ramTotal, ramUsed,
                List.of(), WorkerState.READY, null, List.of(), 5);
    }

    public synchronized Heartbeats start() {
        if (sender == null) {
            sender = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "test-heartbeats");
                t.setDaemon(true);
                return t;
            });
            sender.scheduleAtFixedRate(this::beat, 0, 1, TimeUnit.SECONDS);
        }
        return this;
    }

    /** Silence, as from a worker that is gone. */
    public synchronized void stop() {
        if (sender != null) {
            sender.shutdownNow();
            try {
                sender.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            sender = null;
        }
    }

    /** From the next heartbeat on, the worker lists these instances as running in the given states. */
    public void listing(List<ObservedInstance> instances) {
        report.updateAndGet(r -> new WorkerReported(r.workerId(), r.name(), r.address(), r.agentPort(), r.os(),
                r.arch(), r.labels(), r.cpuCores(), r.cpuUtilizationPercent(), r.memoryTotalBytes(),
                r.memoryUsedBytes(), r.gpus(), r.state(), r.stateMessage(), instances, r.heartbeatIntervalSeconds()));
    }

    /** From the next heartbeat on, the worker lists these model file sets and this models disk. */
    public void modelFiles(java.util.function.UnaryOperator<List<dev.gpufleet.events.ModelFileSet>> change,
                           dev.gpufleet.events.ModelDirectory directory) {
        report.updateAndGet(r -> r.withModelFiles(change.apply(r.modelFiles()), directory));
    }

    private void beat() {
        try {
            long next = revision.incrementAndGet();
            events.send(Topics.WORKERS, Envelope.of(report.get().inSequence(runId, next), next, clock));
        } catch (RuntimeException e) {
            System.err.println("heartbeat not sent: " + e);
        }
    }

    @Override
    public void close() {
        stop();
    }
}
