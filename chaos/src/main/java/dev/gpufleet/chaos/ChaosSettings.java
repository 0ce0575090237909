package dev.gpufleet.chaos;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * How long each fault lasts and the fleet's intervals. The fault durations are the ones the fleet's guarantees are
 * stated for; the intervals are shorter than production's so the same thresholds are crossed sooner, and each fault
 * lasts beyond the thresholds it is meant to cross (a link cut below the grace stays below it, one past it goes past
 * it). Each can be set as a system property {@code gpufleet.chaos.<name>}, e.g.
 * {@code -Dgpufleet.chaos.kafka-pause=60s}.
 */
public record ChaosSettings(
        Duration kafkaPause,
        Duration kafkaStop,
        Duration postgresPause,
        Duration postgresStop,
        Duration linkCut,
        Duration unreachableGrace,
        Duration linkCutPastGrace,
        Duration leaderCutOff,
        Duration overload,
        int overloadFactor,
        Duration heartbeatInterval,
        Duration livenessInterval,
        Duration probeTimeout,
        Duration stopTimeout,
        Duration restartBackoffBase,
        Duration leaderTakeover,
        int workers,
        int topicPartitions,
        int standInReplicas,
        int standInSlots,
        Duration standInServiceTime,
        int queuePerSlot,
        double standInRate,
        double demoRate,
        Duration requestTimeout,
        Duration recoveryPatience,
        String subnet) {

    public static ChaosSettings fromSystemProperties() {
        return new ChaosSettings(
                duration("kafka-pause", "120s"),
                duration("kafka-stop", "20s"),
                duration("postgres-pause", "45s"),
                duration("postgres-stop", "60s"),
                duration("link-cut", "30s"),
                duration("unreachable-grace", "40s"),
                duration("link-cut-past-grace", "55s"),
                duration("leader-cut-off", "30s"),
                duration("overload", "30s"),
                integer("overload-factor", 10),
                duration("heartbeat-interval", "1s"),
                duration("liveness-interval", "1s"),
                duration("probe-timeout", "2s"),
                duration("stop-timeout", "3s"),
                duration("restart-backoff-base", "1s"),
                duration("leader-takeover", "10s"),
                integer("workers", 3),
                integer("topic-partitions", 6),
                integer("stand-in-replicas", 3),
                integer("stand-in-slots", 2),
                duration("stand-in-service-time", "250ms"),
                integer("queue-per-slot", 1),
                number("stand-in-rate", 6),
                number("demo-rate", 0.5),
                duration("request-timeout", "20s"),
                duration("recovery-patience", "60s"),
                property("subnet", "10.254.213"));
    }

    public ChaosSettings {
        if (workers < 3) {
            throw new IllegalArgumentException("gpufleet.chaos.workers: at least 3 (a cut worker, a killed one and "
                    + "one that keeps serving), was " + workers);
        }
        if (linkCut.compareTo(unreachableGrace) >= 0) {
            throw new IllegalArgumentException("gpufleet.chaos.link-cut (" + linkCut + ") must stay below "
                    + "gpufleet.chaos.unreachable-grace (" + unreachableGrace + ")");
        }
        Duration lostAndGrace = unreachableGrace.plus(heartbeatInterval.multipliedBy(3));
        if (linkCutPastGrace.compareTo(lostAndGrace) <= 0) {
            throw new IllegalArgumentException("gpufleet.chaos.link-cut-past-grace (" + linkCutPastGrace + ") must "
                    + "exceed the grace plus three heartbeats (" + lostAndGrace + ")");
        }
    }

    /** Requests a stand-in backend serves per second at most: slots / service time. */
    public double standInCapacityPerInstance() {
        return standInSlots / (standInServiceTime.toMillis() / 1000.0);
    }

    /**
     * The agent's liveness rule: three failed probes in a row, each waiting at most the probe timeout; then the
     * backend gets the stop timeout to exit after TERM before it is killed (a hung one does not exit).
     */
    public Duration hungDetection() {
        return livenessInterval.plus(probeTimeout).multipliedBy(3).plus(stopTimeout);
    }

    /** One line per setting, for the report. */
    public List<String> describe() {
        List<String> lines = new ArrayList<>();
        lines.add("faults: Kafka paused " + s(kafkaPause) + ", stopped " + s(kafkaStop) + "; PostgreSQL paused "
                + s(postgresPause) + ", stopped " + s(postgresStop) + "; link cut " + s(linkCut)
                + " (below the grace) and " + s(linkCutPastGrace) + " (past it); leader cut off " + s(leaderCutOff)
                + "; " + overloadFactor + "× load for " + s(overload));
        lines.add("fleet: " + workers + " workers, " + topicPartitions + " partitions a topic, heartbeat every "
                + s(heartbeatInterval) + " (UNREACHABLE after 3 missed), unreachable grace " + s(unreachableGrace)
                + ", backend liveness probe every " + s(livenessInterval)
                + " (timeout " + s(probeTimeout) + ", 3 failures = hung, then TERM and KILL after " + s(stopTimeout)
                + "), restart backoff base " + s(restartBackoffBase));
        lines.add("load: demo model (real llama.cpp, 1 replica) " + demoRate + " req/s; stand-in model ("
                + standInReplicas + " replicas, " + standInSlots + " slots, " + standInServiceTime.toMillis()
                + " ms per request, "
                + String.format(Locale.ROOT, "%.0f", standInCapacityPerInstance() * standInReplicas)
                + " req/s capacity) " + standInRate + " req/s; through both gateways behind a readiness-probing "
                + "balancer; client timeout " + s(requestTimeout));
        lines.add("gateways: each takes half of every instance's slots (admission.gateways 2), " + queuePerSlot
                + " request(s) may wait per slot (admission.queue-per-slot)");
        return lines;
    }

    private static String s(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? (ms / 1000) + " s" : ms + " ms";
    }

    private static String property(String name, String fallback) {
        return System.getProperty("gpufleet.chaos." + name, fallback);
    }

    private static Duration duration(String name, String fallback) {
        return parse(name, property(name, fallback), ChaosSettings::parseDuration);
    }

    private static int integer(String name, int fallback) {
        return parse(name, property(name, Integer.toString(fallback)), Integer::parseInt);
    }

    private static double number(String name, double fallback) {
        return parse(name, property(name, Double.toString(fallback)), Double::parseDouble);
    }

    private static <T> T parse(String name, String value, Function<String, T> parser) {
        try {
            return parser.apply(value.trim());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("gpufleet.chaos." + name + ": cannot read '" + value + "' ("
                    + e.getMessage() + ")");
        }
    }

    /** {@code 250ms}, {@code 45s}, {@code 2m}. */
    static Duration parseDuration(String text) {
        String t = text.toLowerCase(Locale.ROOT);
        if (t.endsWith("ms")) {
            return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
        }
        if (t.endsWith("s")) {
            return Duration.ofMillis(Math.round(Double.parseDouble(t.substring(0, t.length() - 1)) * 1000));
        }
        if (t.endsWith("m")) {
            return Duration.ofSeconds(Long.parseLong(t.substring(0, t.length() - 1)) * 60);
        }
        throw new IllegalArgumentException("a duration like 250ms, 45s or 2m");
    }

    /** Quarkus' duration form of the setting, e.g. {@code 1s} or {@code 250ms}. */
    public static String quarkus(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? (ms / 1000) + "s" : ms + "ms";
    }
}
