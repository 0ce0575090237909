package dev.gpufleet.scheduler.workers;

import dev.gpufleet.events.WorkerState;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Which silent workers are lost. A worker is silent when it has not been heard for more than 3 of its heartbeat
 * intervals ({@link WorkerLiveness}); it is lost only when that silence is its own and not the pipe's:
 * <ul>
 *   <li>while the heartbeat pipe is not healthy ({@link HeartbeatPipe}), nobody is lost;</li>
 *   <li>silence before the pipe became healthy, before this scheduler started watching or began to lead, or before
 *       a mass silence ended, is not counted;</li>
 *   <li>when most workers in service (READY or NOT_READY, not cordoned) fall silent together, more than
 *       {@code massSilenceFraction} of them and at least {@code massSilenceMinimum}, the pipe is suspected and
 *       nobody is lost, for at most {@code massSilenceHold}: after that the silence is taken as real.</li>
 * </ul>
 * Pure: the workers, the pipe and what the previous check remembered in; the verdict out.
 */
public final class FleetLiveness {

    private FleetLiveness() {
    }

    /** A worker not yet UNREACHABLE, as the check sees it. */
    public record Watched(String id, WorkerState state, WorkerState reportedState, Instant heardAt,
                          int heartbeatIntervalSeconds) {
    }

    /**
     * @param massSilenceFraction more than this share of the workers in service silent together is a mass silence
     * @param massSilenceMinimum  ... when they are at least this many
     * @param massSilenceHold     how long a mass silence holds verdicts back before it is taken as real
     */
    public record Settings(double massSilenceFraction, int massSilenceMinimum, Duration massSilenceHold) {
    }

    /**
     * What one check leaves for the next.
     *
     * @param massSilenceSince when the current mass silence began; null when there is none
     * @param massSilenceEnded when the last mass silence ended (workers came back): silence before it is not counted
     */
    public record Memory(Instant massSilenceSince, Instant massSilenceEnded) {
        public static final Memory NONE = new Memory(null, null);
    }

    public enum Hold {
        /** Verdicts as the workers' own silence says. */
        NONE,
        /** The heartbeat pipe is not healthy: nobody is lost. */
        PIPE,
        /** Most workers in service fell silent together: nobody is lost yet. */
        MASS_SILENCE,
        /** A mass silence lasted longer than the hold: taken as real, the silent workers are lost. */
        MASS_SILENCE_TAKEN_AS_REAL
    }

    /**
     * @param lost      the workers to mark UNREACHABLE now
     * @param silent    how many are silent, lost or not
     * @param inService how many workers are in service (the base of the mass-silence share)
     */
    public record Verdict(List<String> lost, Hold hold, int silent, int inService, Memory memory) {
        public Verdict {
            lost = List.copyOf(lost);
        }
    }

    /**
     * @param pipeHealthySince since when the heartbeat pipe has been healthy; null when it is not
     * @param watchingSince    since when this scheduler has been watching heartbeats (started, or leads)
     * @param now              the time to judge as of: when the pipe was last found healthy
     */
    public static Verdict judge(List<Watched> workers, Instant pipeHealthySince, Instant watchingSince, Memory memory,
                                Settings settings, Instant now) {
        if (pipeHealthySince == null) {
            return new Verdict(List.of(), Hold.PIPE, 0, 0, Memory.NONE);
        }
        Instant countingSince = latest(latest(watchingSince, pipeHealthySince), memory.massSilenceEnded());
        List<String> silent = new ArrayList<>();
        int inService = 0;
        int silentInService = 0;
        for (Watched worker : workers) {
            if (worker.state() == WorkerState.UNREACHABLE) {
                continue;
            }
            boolean serving = worker.state() == WorkerState.READY || worker.state() == WorkerState.NOT_READY;
            boolean isSilent = WorkerLiveness.stateOf(worker.reportedState(), worker.heardAt(),
                    worker.heartbeatIntervalSeconds(), countingSince, now) == WorkerState.UNREACHABLE;
            inService += serving ? 1 : 0;
            if (isSilent) {
                silent.add(worker.id());
                silentInService += serving ? 1 : 0;
            }
        }
        boolean mass = silentInService >= settings.massSilenceMinimum()
                && silentInService > settings.massSilenceFraction() * inService;
        if (!mass) {
            Instant began = memory.massSilenceSince();
            if (began != null && began.plus(settings.massSilenceHold()).isAfter(now)) {
                // most came back within the hold: it was the pipe; the others' silence counts from now
                return new Verdict(List.of(), Hold.NONE, silent.size(), inService, new Memory(null, now));
            }
            return new Verdict(silent, Hold.NONE, silent.size(), inService,
                    new Memory(null, memory.massSilenceEnded()));
        }
        Instant since = memory.massSilenceSince() != null ? memory.massSilenceSince() : now;
        if (since.plus(settings.massSilenceHold()).isAfter(now)) {
            return new Verdict(List.of(), Hold.MASS_SILENCE, silent.size(), inService,
                    new Memory(since, memory.massSilenceEnded()));
        }
        return new Verdict(silent, Hold.MASS_SILENCE_TAKEN_AS_REAL, silent.size(), inService,
                new Memory(since, memory.massSilenceEnded()));
    }

    private static Instant latest(Instant a, Instant b) {
        if (a == null) {
            return b;
        }
        return b == null || a.isAfter(b) ? a : b;
    }
}
