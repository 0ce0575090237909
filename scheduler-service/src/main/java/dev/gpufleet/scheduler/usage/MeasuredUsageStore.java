package dev.gpufleet.scheduler.usage;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The most VRAM per GPU ever measured for RUNNING instances, per (model id, backend, GPU product name), in
 * {@code scheduler.measured_usage}. Placement asks {@link #peaks} and counts the higher of that and its estimate.
 */
@ApplicationScoped
public class MeasuredUsageStore {
    private static final String RECORD = """
            INSERT INTO scheduler.measured_usage (model_id, backend, gpu_name, vram_bytes, measured_at)
            VALUES (?1, ?2, ?3, ?4, ?5)
            ON CONFLICT (model_id, backend, gpu_name) DO UPDATE
                SET vram_bytes = EXCLUDED.vram_bytes, measured_at = EXCLUDED.measured_at
                WHERE measured_usage.vram_bytes < EXCLUDED.vram_bytes""";

    /** Keeps each peak that is higher than the one held; run in a transaction. */
    public Uni<Void> record(String modelId, String backend, Map<String, Long> peakPerGpuProduct, Instant at) {
        Uni<Void> chain = Uni.createFrom().voidItem();
        for (Map.Entry<String, Long> peak : new TreeMap<>(peakPerGpuProduct).entrySet()) {
            chain = chain.chain(() -> Panache.getSession().chain(session -> session.createNativeQuery(RECORD)
                    .setParameter(1, modelId)
                    .setParameter(2, backend)
                    .setParameter(3, peak.getKey())
                    .setParameter(4, peak.getValue())
                    .setParameter(5, at.atOffset(ZoneOffset.UTC))
                    .executeUpdate()).replaceWithVoid());
        }
        return chain;
    }

    /** GPU product name → the most VRAM per GPU measured for the model with the backend; run in a session. */
    public Uni<Map<String, Long>> peaks(String modelId, String backend) {
        return Panache.getSession().chain(session -> session.createNativeQuery(
                        "SELECT gpu_name, vram_bytes FROM scheduler.measured_usage WHERE model_id = ?1 AND backend = ?2",
                        Object[].class)
                .setParameter(1, modelId)
                .setParameter(2, backend)
                .getResultList()
                .map(MeasuredUsageStore::toMap));
    }

    private static Map<String, Long> toMap(List<Object[]> rows) {
        Map<String, Long> peaks = new TreeMap<>();
        for (Object[] row : rows) {
            peaks.put((String) row[0], ((Number) row[1]).longValue());
        }
        return peaks;
    }
}
