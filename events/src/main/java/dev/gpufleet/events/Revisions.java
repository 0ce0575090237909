package dev.gpufleet.events;

/**
 * The one rule every consumer uses to decide whether to apply a message: only a revision newer than the one
 * already held changes anything. This makes delivery idempotent (a redelivered message is ignored), replayable
 * (reading a topic from the start converges to the same state) and safe against reordering.
 */
public final class Revisions {
    private Revisions() {
    }

    /**
     * @param held     the revision the consumer holds for the entity, or {@code null} when it has never seen it
     * @param incoming the revision of the arriving message
     */
    public static boolean isNewer(Long held, long incoming) {
        return held == null || incoming > held;
    }

    public static boolean isNewer(long held, long incoming) {
        return incoming > held;
    }

    /** Revision for the first event of an entity. */
    public static long first() {
        return 1L;
    }
}
