package dev.gpufleet.scheduler.instances;

import dev.gpufleet.events.GpuDevice;
import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.ModelSource;
import dev.gpufleet.events.ModelSpec;
import dev.gpufleet.events.ResourceEstimate;
import dev.gpufleet.events.Topics;
import dev.gpufleet.events.WorkerReported;
import dev.gpufleet.events.WorkerState;
import dev.gpufleet.localstack.testing.WithTestKafkaAndPostgres;
import dev.gpufleet.scheduler.persistence.Transactions;
import dev.gpufleet.scheduler.placement.PlacementSettings;
import dev.gpufleet.scheduler.placement.WorkerCapacity;
import dev.gpufleet.scheduler.testing.AdjustableClock;
import dev.gpufleet.scheduler.testing.Events;
import dev.gpufleet.scheduler.testing.InstanceFlow;
import dev.gpufleet.scheduler.workers.Worker;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.vertx.VertxContextSupport;
import io.quarkus.vertx.core.runtime.context.VertxContextSafetyToggle;
import io.smallrye.common.vertx.VertxContext;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The leader's capacity view against the real database: placements of different models at once never hold the same
 * GPU memory twice, and the view, kept by the transactions or built again, equals what the database says.
 */
@QuarkusTest
@WithTestKafkaAndPostgres
class CapacityViewTest {
    static final Duration PATIENCE = Duration.ofSeconds(30);
    static final long GIB = 1L << 30;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;
    @Inject
    AdjustableClock clock;
    @Inject
    DataSource dataSource;
    @Inject
    Vertx vertx;
    @Inject
    InstanceReconciler reconciler;
    @Inject
    CapacityView view;
    @Inject
    PlacementSettings settings;

    InstanceFlow flow;

    @BeforeEach
    void connect() {
        flow = new InstanceFlow(bootstrapServers, clock, PATIENCE);
    }

    @AfterEach
    void disconnect() {
        flow.close();
    }

    @Test
    void concurrentPlacementsOfDifferentModelsNeverClaimTheSameGpuMemoryTwice() throws Throwable {
        String pool = UUID.randomUUID().toString();
        List<String> models = new ArrayList<>();
        for (int n = 0; n < 6; n++) {
            String modelId = UUID.randomUUID().toString();
            models.add(modelId);
            // 10 GiB each, whole on one GPU: two fit on the worker's 24 GiB GPU
            ModelSpec spec = new ModelSpec("contended-" + modelId.substring(0, 6),
                    ModelSource.localPath("/models/m.gguf"), "llama-box", null, List.of(), Map.of(), 1,
                    List.of("llm"), "binpack", false, false, Map.of("pool", pool), List.of(), true, false, null);
            flow.events().send(Topics.MODELS, Events.modelChanged(modelId, spec, new ResourceEstimate(GIB / 4,
                    10 * GIB)), 1);
        }
        for (String modelId : models) {
            flow.awaitChange(modelId, c -> c.state() == InstanceState.PENDING);
        }
        String workerId = UUID.randomUUID().toString();
        flow.beating(new WorkerReported(workerId, "l4-" + workerId.substring(0, 6), "10.7.0.1", 10150, "linux",
                "amd64", Map.of("pool", pool), 16, 5.0, 64 * GIB, 4 * GIB,
                List.of(new GpuDevice(0, "nvidia", "cuda", "NVIDIA L4", "GPU-" + workerId, 24 * GIB, 0, 0.0)),
                WorkerState.READY, null, List.of(), 5));
        flow.awaitWorker(workerId, "READY");
        // every model reconciled at once, beside the reconciliation the worker's arrival starts
        List<CompletableFuture<Boolean>> runs = new ArrayList<>();
        for (String modelId : models) {
            for (int copy = 0; copy < 2; copy++) {
                CompletableFuture<Boolean> run = new CompletableFuture<>();
                Context context = VertxContext.getOrCreateDuplicatedContext(vertx);
                VertxContextSafetyToggle.setContextSafe(context, true);
                context.runOnContext(ignored -> Transactions.run(() -> reconciler.reconcile(modelId))
                        .subscribe().with(run::complete, run::completeExceptionally));
                runs.add(run);
            }
        }
        CompletableFuture.allOf(runs.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);

        assertEquals(2, scheduledOn(workerId), "two of 10 GiB fit on 24 GiB, whoever placed them");
        long claimed = claimedOnGpu0(workerId);
        assertTrue(claimed > 0 && claimed <= 24 * GIB - settings.vramReservedBytes(), "claimed " + claimed);
        awaitViewEqualsDatabase();
    }

    @Test
    void theViewKeptByTransactionsAndTheViewBuiltAgainBothEqualTheDatabase() {
        String pool = UUID.randomUUID().toString();
        String workerId = UUID.randomUUID().toString();
        flow.worker(new WorkerReported(workerId, "l4-" + workerId.substring(0, 6), "10.7.0.2", 10150, "linux",
                "amd64", Map.of("pool", pool), 16, 5.0, 64 * GIB, 4 * GIB,
                List.of(new GpuDevice(0, "nvidia", "cuda", "NVIDIA L4", "GPU-a-" + workerId, 24 * GIB, GIB, 0.0),
                        new GpuDevice(1, "nvidia", "cuda", "NVIDIA L4", "GPU-b-" + workerId, 24 * GIB, 0, 0.0)),
                WorkerState.READY, null, List.of(), 5));
        String modelId = UUID.randomUUID().toString();
        ModelSpec spec = Events.spec("kept-" + modelId.substring(0, 6), 3, Map.of("pool", pool));
        flow.events().send(Topics.MODELS, Events.modelChanged(modelId, spec, new ResourceEstimate(GIB, 6 * GIB)), 1);
        await().atMost(PATIENCE).until(() -> scheduledOn(workerId) == 3);
        awaitViewEqualsDatabase();

        // scaled down: the deleted instance's claim is given back
        flow.events().send(Topics.MODELS, Events.modelChanged(modelId, Events.spec(spec.name(), 1, Map.of("pool", pool)),
                new ResourceEstimate(GIB, 6 * GIB)), 2);
        await().atMost(PATIENCE).until(() -> scheduledOn(workerId) == 1);
        awaitViewEqualsDatabase();

        List<WorkerCapacity> kept = sorted(view.cluster().workers());
        view.leadershipChanged(true); // as on gaining leadership: dropped and built from the database
        await().atMost(PATIENCE).until(() -> view.cluster() != null);
        awaitViewEqualsDatabase();
        assertEquals(kept.stream().filter(w -> w.id().equals(workerId)).toList(),
                sorted(view.cluster().workers()).stream().filter(w -> w.id().equals(workerId)).toList());
    }

    @Test
    void whoeverWaitsForTheSharedBuildCarriesOnOnItsOwnContext() throws Exception {
        view.leadershipChanged(false); // dropped while this scheduler still leads: the next caller builds it again
        Context first = VertxContext.getOrCreateDuplicatedContext(vertx);
        Context second = VertxContext.getOrCreateDuplicatedContext(vertx);
        CompletableFuture<Context> firstOn = new CompletableFuture<>();
        CompletableFuture<Context> secondOn = new CompletableFuture<>();
        for (Context context : List.of(first, second)) {
            CompletableFuture<Context> on = context == first ? firstOn : secondOn;
            VertxContextSafetyToggle.setContextSafe(context, true);
            context.runOnContext(ignored -> view.ready().subscribe().with(
                    epoch -> on.complete(Vertx.currentContext()), on::completeExceptionally));
        }
        // the second joins the first's build: its transaction's session and hooks are on its own context
        assertSame(first, firstOn.get(30, TimeUnit.SECONDS));
        assertSame(second, secondOn.get(30, TimeUnit.SECONDS));
        awaitViewEqualsDatabase();
    }

    private void awaitViewEqualsDatabase() {
        await().atMost(PATIENCE).untilAsserted(() -> {
            List<WorkerCapacity> stored = stored();
            assertNotNull(view.cluster(), "the leader keeps a view");
            assertEquals(stored, sorted(view.cluster().workers()));
        });
    }

    private List<WorkerCapacity> stored() throws Throwable {
        return sorted(VertxContextSupport.subscribeAndAwait(() -> Panache.withSession(() -> Worker.<Worker>listAll()
                .chain(workers -> Instance.<Instance>list("workerId is not null")
                        .map(placed -> CapacitySnapshot.of(workers, placed, settings).workers())))));
    }

    private static List<WorkerCapacity> sorted(List<WorkerCapacity> workers) {
        return workers.stream().sorted(Comparator.comparing(WorkerCapacity::id)).toList();
    }

    private long scheduledOn(String workerId) throws Exception {
        return query("SELECT count(*) FROM scheduler.instance WHERE worker_id = ? AND state = 'SCHEDULED'", workerId);
    }

    private long claimedOnGpu0(String workerId) throws Throwable {
        return VertxContextSupport.subscribeAndAwait(() -> Panache.withSession(() -> Instance.<Instance>list(
                "workerId", workerId).map(placed -> placed.stream().filter(i -> i.assignment != null)
                .mapToLong(i -> i.assignment.claim().vramBytesByGpu().getOrDefault(0, 0L)).sum())));
    }

    private long query(String sql, String arg) throws Exception {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, arg);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }
}
