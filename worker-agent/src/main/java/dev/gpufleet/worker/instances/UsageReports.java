package dev.gpufleet.worker.instances;

import dev.gpufleet.events.GpuDevice;
import dev.gpufleet.events.ResourceClaim;
import dev.gpufleet.worker.devices.ProcessCommandRunner;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Measures what a RUNNING backend's processes hold, every {@link #USAGE_INTERVAL} at its liveness probes, and hands
 * the measure on when it changed by more than 1 %, so the scheduler can keep the peak per GPU product.
 */
final class UsageReports implements AutoCloseable {
    /** How often a RUNNING backend's memory is measured (the first time at its first liveness probe). */
    static final Duration USAGE_INTERVAL = Duration.ofSeconds(30);

    /** Measuring runs nvidia-smi (up to seconds): its own thread, so it delays neither steps nor KILLs. */
    private final ExecutorService usageThread = Executors.newSingleThreadExecutor(task -> {
        Thread thread = new Thread(task, "gpufleet-usage");
        thread.setDaemon(true);
        return thread;
    });
    private final UsageSampler usageSampler = UsageSampler.forThisHost(ProcessCommandRunner.onAgentPath());

    /**
     * Measures the run's processes if it is time (off the supervisor thread); {@code changed} gets the measure
     * through {@code post} when it differs from the one last reported.
     */
    void sampleIfDue(BackendRun run, Instant now, Supplier<List<GpuDevice>> devices, Consumer<Runnable> post,
                     Consumer<ResourceClaim> changed) {
        if (run.handle == null || (run.nextUsageSample != null && now.isBefore(run.nextUsageSample))) {
            return;
        }
        run.nextUsageSample = now.plus(USAGE_INTERVAL);
        ProcessHandle handle = run.handle;
        List<Integer> gpus = run.gpuIndexes;
        CompletableFuture.supplyAsync(() -> usageSampler.sample(handle, devices.get(), gpus), usageThread)
                .whenComplete((usage, failure) -> post.accept(() -> {
                    if (usage != null && changed(run.reportedUsage, usage)) {
                        changed.accept(usage);
                    }
                }));
    }

    static boolean changed(ResourceClaim before, ResourceClaim now) {
        if (before == null) {
            return true;
        }
        if (!before.vramBytesByGpu().keySet().equals(now.vramBytesByGpu().keySet())) {
            return true;
        }
        if (moreThanOnePercent(before.ramBytes(), now.ramBytes())) {
            return true;
        }
        return now.vramBytesByGpu().entrySet().stream()
                .anyMatch(e -> moreThanOnePercent(before.vramBytesByGpu().get(e.getKey()), e.getValue()));
    }

    private static boolean moreThanOnePercent(long before, long now) {
        return Math.abs(now - before) * 100 > Math.max(before, 1);
    }

    @Override
    public void close() {
        usageThread.shutdownNow();
    }
}
