package dev.gpufleet.scheduler;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.Optional;

/**
 * The scheduler's settings; each has an environment form, e.g. {@code GPUFLEET_SCHEDULER_UNREACHABLE_GRACE}. The
 * values the service runs with are in its {@code application.properties}, described in docs/configuration.md.
 */
@ConfigMapping(prefix = "gpufleet.scheduler")
public interface SchedulerConfig {

    /**
     * How often every model's instances are checked against its replicas, besides the model events. Read by the
     * {@code @Scheduled} expression of PeriodicReconciliation; here so that this mapping owns every key it names.
     */
    Duration reconcileInterval();

    /**
     * How often workers are checked for missed heartbeats. Read by the {@code @Scheduled} expression of
     * HeartbeatCheck; here so that this mapping owns every key it names.
     */
    Duration workerCheckInterval();

    /** How often the leader renews its lease, and a follower looks whether it may take over. */
    Duration leaderPollInterval();

    /**
     * How long the leader acts after the start of its last renewal PostgreSQL confirmed (its own clock); at least
     * twice the poll interval.
     */
    Duration leaderLease();

    /**
     * How old the leader's last renewal must be (PostgreSQL's clock) before another scheduler takes over; at least
     * the lease plus a poll interval, so a leader cut off from PostgreSQL has stopped by then.
     */
    Duration leaderTakeoverDelay();

    /** Names this process in logs, /q/health, the leader API and metric; unset or blank = host/pid. */
    Optional<String> instanceId();

    /** How often the outbox relay looks for unsent rows when nothing woke it up. */
    Duration outboxPollInterval();

    /** An instance in ERROR restarts after min(base * 2^(n-1), 30 * base) for the n-th restart. */
    Duration restartBackoffBase();

    /** An instance whose worker has been UNREACHABLE this long is deleted and replaced elsewhere. */
    Duration unreachableGrace();

    /** An instance SCHEDULED this long on a READY worker that never reported it is placed again. */
    Duration scheduledTimeout();

    /**
     * How far behind the scheduler's consumers may be on gpufleet.workers with the heartbeat pipe still healthy:
     * every heartbeat on the topic must be applied within about this long (rounded up to whole worker checks).
     */
    Duration heartbeatMaxLag();

    /** How long a probe of the heartbeat pipe waits for the broker before it calls the pipe disconnected. */
    Duration heartbeatProbeTimeout();

    /** More than this share of the workers in service falling silent together is taken for a silent pipe. */
    double massSilenceFraction();

    /** ... when they are at least this many. */
    int massSilenceMinimum();

    /** How long such a mass silence holds back verdicts before it is taken as real; 0 turns the rule off. */
    Duration massSilenceHold();

    /** RAM placement leaves free on every worker, for the OS and the agent. */
    @WithDefault("2G")
    MemorySize reservedRam();

    /** VRAM placement leaves free on every GPU. */
    @WithDefault("1G")
    MemorySize reservedVramPerGpu();

    /** RAM claimed per llama.cpp RPC server a distributed llama-box instance starts on a subordinate worker. */
    @WithDefault("256M")
    MemorySize rpcServerRam();
}
