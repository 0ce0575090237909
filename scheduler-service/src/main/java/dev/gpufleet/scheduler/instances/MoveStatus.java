package dev.gpufleet.scheduler.instances;

import dev.gpufleet.events.InstanceState;

import java.util.UUID;

/**
 * Where a move made before it breaks stands, in the words the admin API shows on the instance that is moving and
 * on its worker's drain: why it still serves. Pure.
 */
public final class MoveStatus {
    private MoveStatus() {
    }

    /** The instance placed to take over. */
    public record Replacement(UUID id, String name, InstanceState state, String workerName, String stateMessage) {
        public static Replacement of(Instance i) {
            return new Replacement(i.id, i.name, i.state, i.workerName, i.stateMessage);
        }
    }

    public static String describe(Replacement r) {
        String replacement = "its replacement " + r.name();
        return switch (r.state()) {
            case PENDING -> r.stateMessage() == null || r.stateMessage().isBlank()
                    || r.stateMessage().equals(InstanceReconciler.WAITING_FOR_PLACEMENT)
                    || r.stateMessage().startsWith("replaces ")
                    ? "keeps serving while " + replacement + " waits for placement"
                    : "keeps serving: " + replacement + " cannot be placed yet: " + r.stateMessage();
            case SCHEDULED, DOWNLOADING, STARTING -> "keeps serving until " + replacement + " runs ("
                    + r.state() + " on " + r.workerName() + ")";
            case ERROR -> "keeps serving: " + replacement + " failed on " + r.workerName()
                    + (r.stateMessage() == null || r.stateMessage().isBlank() ? "" : ": " + r.stateMessage());
            case UNREACHABLE -> "keeps serving: " + replacement + " is on " + r.workerName()
                    + ", which is unreachable";
            case RUNNING -> replacement + " runs on " + r.workerName() + ": this one stops";
        };
    }
}
