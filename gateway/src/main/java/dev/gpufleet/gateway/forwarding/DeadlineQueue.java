package dev.gpufleet.gateway.forwarding;

/**
 * The deadlines of the exchanges in flight on one event loop, checked together on a coarse tick instead of one
 * timer per exchange: a Vert.x timer set and cancelled for every request is a timer-map update and a scheduled-task
 * queue operation each way, about a microsecond per request at peak, for a deadline that almost never fires.
 *
 * <p>An intrusive doubly linked list: the exchange is its own entry, so scheduling, moving and cancelling a deadline
 * allocate nothing and take constant time. {@link #expire} walks the whole list, which holds only the requests in
 * flight on this loop. Not thread-safe: one queue per event loop, used only on it.
 */
final class DeadlineQueue {
    /** Something with a deadline; its queue calls {@link #expired} once the deadline has passed. */
    abstract static class Entry {
        private long deadlineNanos;
        private Entry previous;
        private Entry next;
        private boolean queued;
        /** Links the entries one {@link #expire} call has taken out. */
        private Entry nextDue;

        /** Called on the queue's loop once the deadline has passed; the entry is no longer queued. */
        abstract void expired();

        final boolean queued() {
            return queued;
        }
    }

    private Entry first;
    private int size;

    /** Sets (or moves) the entry's deadline. */
    void schedule(Entry entry, long deadlineNanos) {
        entry.deadlineNanos = deadlineNanos;
        if (entry.queued) {
            return;
        }
        entry.queued = true;
        entry.previous = null;
        entry.next = first;
        if (first != null) {
            first.previous = entry;
        }
        first = entry;
        size++;
    }

    /** Removes the entry's deadline, if it has one. */
    void cancel(Entry entry) {
        if (!entry.queued) {
            return;
        }
        if (entry.previous == null) {
            first = entry.next;
        } else {
            entry.previous.next = entry.next;
        }
        if (entry.next != null) {
            entry.next.previous = entry.previous;
        }
        entry.previous = null;
        entry.next = null;
        entry.queued = false;
        size--;
    }

    /**
     * Takes out every entry whose deadline is at or before {@code nowNanos} and calls its {@link Entry#expired}
     * (which may schedule it again, for a later deadline). Deadlines compare as {@link System#nanoTime} values do,
     * by their difference.
     *
     * @return how many were expired
     */
    int expire(long nowNanos) {
        Entry due = null;
        for (Entry entry = first; entry != null; ) {
            Entry next = entry.next;
            if (entry.deadlineNanos - nowNanos <= 0) {
                cancel(entry);
                entry.nextDue = due;
                due = entry;
            }
            entry = next;
        }
        int count = 0;
        while (due != null) {
            Entry entry = due;
            due = entry.nextDue;
            entry.nextDue = null;
            if (!entry.queued) { // an earlier one's expired() may have scheduled it again
                count++;
                entry.expired();
            }
        }
        return count;
    }

    boolean isEmpty() {
        return size == 0;
    }

    int size() {
        return size;
    }
}
