package dev.gpufleet.gateway.forwarding;

import io.netty.util.concurrent.FastThreadLocal;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.impl.ContextInternal;

import java.util.concurrent.TimeUnit;

/**
 * The {@link DeadlineQueue} of each event loop and the one timer that checks it: armed while the loop has deadlines
 * queued, every {@link #TICK_MILLIS}, so a deadline fires up to one tick late. Used on event loops only.
 */
final class LoopDeadlines {
    /** How often a loop with requests in flight checks their deadlines; also how late one may fire. */
    static final long TICK_MILLIS = 50;

    private final FastThreadLocal<LoopDeadlines.Loop> loops = new FastThreadLocal<>() {
        @Override
        protected Loop initialValue() {
            Context context = Vertx.currentContext();
            if (context == null || !Context.isOnEventLoopThread()) {
                throw new IllegalStateException("deadlines are kept on event loops only");
            }
            // the loop's own context, not a request's duplicate: the tick outlives every request
            return new Loop(((ContextInternal) context).unwrap());
        }
    };

    /** The calling event loop's deadlines. */
    Loop current() {
        return loops.get();
    }

    static final class Loop {
        private final ContextInternal context;
        private final DeadlineQueue queue = new DeadlineQueue();
        private boolean ticking;

        private Loop(ContextInternal context) {
            this.context = context;
        }

        /** Due {@code delayMillis} (at least 1) after {@code nowNanos}, a {@link System#nanoTime} reading. */
        void schedule(DeadlineQueue.Entry entry, long nowNanos, long delayMillis) {
            queue.schedule(entry, nowNanos + TimeUnit.MILLISECONDS.toNanos(Math.max(1, delayMillis)));
            if (!ticking) {
                ticking = true;
                context.setTimer(TICK_MILLIS, this::tick);
            }
        }

        void cancel(DeadlineQueue.Entry entry) {
            queue.cancel(entry);
        }

        /** Runs {@code task} on this loop, from any thread. */
        void execute(Runnable task) {
            context.runOnContext(ignored -> task.run());
        }

        private void tick(long timerId) {
            try {
                queue.expire(System.nanoTime());
            } finally {
                if (queue.isEmpty()) {
                    ticking = false;
                } else {
                    context.setTimer(TICK_MILLIS, this::tick);
                }
            }
        }
    }
}
