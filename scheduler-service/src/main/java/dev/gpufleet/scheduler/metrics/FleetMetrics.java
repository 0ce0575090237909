package dev.gpufleet.scheduler.metrics;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.quarkus.runtime.Startup;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Exports {@link FleetFigures} as gauges, refreshed from the database every
 * {@code gpufleet.scheduler.metrics-interval} (15 s) by every scheduler (followers read the same tables):
 * <ul>
 *   <li>{@code gpufleet_scheduler_instances{model,state}}</li>
 *   <li>{@code gpufleet_scheduler_pending_instances{model,reason}} (reason: {@link FleetFigures.PendingReason})</li>
 *   <li>{@code gpufleet_scheduler_instance_recent_restarts{model}}: the most restarts after errors of one of the
 *       model's instances since it last ran a while (what picks its backoff step): 3 or more is a crash loop</li>
 *   <li>{@code gpufleet_scheduler_workers{state}}, {@code gpufleet_scheduler_worker_heartbeat_age_seconds{worker}}</li>
 *   <li>{@code gpufleet_scheduler_gpu_memory_claimed_bytes{worker,index}}: what placements hold on each GPU</li>
 *   <li>{@code gpufleet_scheduler_gpu_memory_total_bytes{worker,index}} and
 *       {@code gpufleet_scheduler_gpu_memory_used_by_others_bytes{worker,index}}: each GPU's memory as its agent last
 *       reported it, and what is in use there beyond the placements' claims ({@link GpuMemoryFigures})</li>
 *   <li>{@code gpufleet_outbox_backlog{outbox="scheduler.outbox"}}</li>
 * </ul>
 */
@Startup
@ApplicationScoped
public class FleetMetrics {
    private static final Logger LOG = Logger.getLogger(FleetMetrics.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<Map<Integer, Long>> CLAIM = new TypeReference<>() {
    };

    private final DataSource dataSource;
    private final Clock clock;
    private final MultiGauge instances;
    private final MultiGauge pending;
    private final MultiGauge restarts;
    private final MultiGauge workers;
    private final MultiGauge heartbeatAge;
    private final MultiGauge claimed;
    private final MultiGauge gpuTotal;
    private final MultiGauge usedByOthers;
    private volatile double outboxBacklog = Double.NaN;

    public FleetMetrics(DataSource dataSource, MeterRegistry registry, Clock clock) {
        this.dataSource = dataSource;
        this.clock = clock;
        instances = MultiGauge.builder("gpufleet.scheduler.instances")
                .description("Instances by model and state").register(registry);
        pending = MultiGauge.builder("gpufleet.scheduler.pending.instances")
                .description("PENDING instances by model and why they are not placed").register(registry);
        restarts = MultiGauge.builder("gpufleet.scheduler.instance.recent.restarts")
                .description("Most recent restarts after errors of one instance of the model").register(registry);
        workers = MultiGauge.builder("gpufleet.scheduler.workers")
                .description("Workers by state").register(registry);
        heartbeatAge = MultiGauge.builder("gpufleet.scheduler.worker.heartbeat.age").baseUnit("seconds")
                .description("Time since the worker's last heartbeat the scheduler applied").register(registry);
        claimed = MultiGauge.builder("gpufleet.scheduler.gpu.memory.claimed").baseUnit("bytes")
                .description("GPU memory the placements on this GPU claim").register(registry);
        gpuTotal = MultiGauge.builder("gpufleet.scheduler.gpu.memory.total").baseUnit("bytes")
                .description("GPU memory as the worker's agent last reported it").register(registry);
        usedByOthers = MultiGauge.builder("gpufleet.scheduler.gpu.memory.used.by.others").baseUnit("bytes")
                .description("GPU memory in use beyond what placements claim: total - claimed - free, as the agent"
                        + " last reported it").register(registry);
        Gauge.builder("gpufleet.outbox.backlog", this, m -> m.outboxBacklog)
                .description("Outbox rows not yet acknowledged by Kafka")
                .tag("outbox", "scheduler.outbox")
                .register(registry);
    }

    @Scheduled(every = "${gpufleet.scheduler.metrics-interval}", delayed = "1s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void refresh() {
        try (Connection c = dataSource.getConnection()) {
            FleetFigures f = FleetFigures.of(instances(c), workers(c), clock.instant());
            instances.register(rows(f.instancesByModelAndState(), k -> Tags.of("model", k.get(0), "state", k.get(1))),
                    true);
            pending.register(rows(f.pendingByModelAndReason(), k -> Tags.of("model", k.get(0), "reason", k.get(1))),
                    true);
            restarts.register(rows(f.recentRestartsByModel(), k -> Tags.of("model", k)), true);
            workers.register(rows(f.workersByState(), k -> Tags.of("state", k)), true);
            heartbeatAge.register(rows(f.heartbeatAgeSecondsByWorker(), k -> Tags.of("worker", k)), true);
            claimed.register(rows(f.claimedVramBytesByWorkerAndGpu(),
                    k -> Tags.of("worker", k.get(0), "index", k.get(1))), true);
            List<GpuMemoryFigures.ReportedGpu> gpus = reportedGpus(c);
            gpuTotal.register(rows(GpuMemoryFigures.total(gpus),
                    k -> Tags.of("worker", k.get(0), "index", k.get(1))), true);
            usedByOthers.register(rows(GpuMemoryFigures.usedByOthers(gpus, f.claimedVramBytesByWorkerAndGpu()),
                    k -> Tags.of("worker", k.get(0), "index", k.get(1))), true);
            outboxBacklog = outboxBacklog(c);
        } catch (SQLException e) {
            LOG.debugf("Cannot read the fleet's figures: %s", e.getMessage());
            outboxBacklog = Double.NaN;
        }
    }

    private static <K> List<MultiGauge.Row<?>> rows(Map<K, ? extends Number> values, Function<K, Tags> tags) {
        List<MultiGauge.Row<?>> rows = new ArrayList<>();
        values.forEach((k, v) -> rows.add(MultiGauge.Row.of(tags.apply(k), v)));
        return rows;
    }

    private static List<FleetFigures.InstanceRow> instances(Connection c) throws SQLException {
        List<FleetFigures.InstanceRow> rows = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT model_name, state, state_message, recent_restarts,"
                + " worker_name, assignment->'claim'->'vramBytesByGpu' FROM scheduler.instance");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                String claim = rs.getString(6);
                rows.add(new FleetFigures.InstanceRow(rs.getString(1), rs.getString(2), rs.getString(3), rs.getInt(4),
                        rs.getString(5), claim == null ? Map.of() : parseClaim(claim)));
            }
        }
        return rows;
    }

    private static Map<Integer, Long> parseClaim(String json) {
        try {
            Map<Integer, Long> claim = JSON.readValue(json, CLAIM);
            return claim == null ? Map.of() : claim;
        } catch (Exception e) {
            return Map.of();
        }
    }

    private static List<FleetFigures.WorkerRow> workers(Connection c) throws SQLException {
        List<FleetFigures.WorkerRow> rows = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT name, state, last_heartbeat_at FROM scheduler.worker");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                rows.add(new FleetFigures.WorkerRow(rs.getString(1), rs.getString(2),
                        rs.getTimestamp(3).toInstant()));
            }
        }
        return rows;
    }

    private static List<GpuMemoryFigures.ReportedGpu> reportedGpus(Connection c) throws SQLException {
        List<GpuMemoryFigures.ReportedGpu> rows = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT w.name, (d->>'index')::int,"
                + " coalesce((d->>'memoryTotalBytes')::bigint, 0), coalesce((d->>'memoryUsedBytes')::bigint, 0)"
                + " FROM scheduler.worker w, jsonb_array_elements(w.gpus->'devices') d");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                rows.add(new GpuMemoryFigures.ReportedGpu(rs.getString(1), rs.getInt(2), rs.getLong(3),
                        rs.getLong(4)));
            }
        }
        return rows;
    }

    private static double outboxBacklog(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM scheduler.outbox WHERE sent_at IS NULL");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
