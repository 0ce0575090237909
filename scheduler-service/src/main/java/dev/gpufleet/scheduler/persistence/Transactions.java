package dev.gpufleet.scheduler.persistence;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.common.vertx.ContextLocals;
import io.smallrye.common.vertx.VertxContext;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Transactions that tell what they did once they ended: work inside one registers {@link #afterCompletion} hooks,
 * which run after the commit (told {@code true}) or after it failed (told {@code false}). Hibernate Reactive has no
 * transaction synchronisation of its own; the hooks live on the Vert.x context, where its session lives too. A
 * transaction started inside another joins it, and the outer one runs the hooks.
 */
public final class Transactions {
    private static final Logger LOG = Logger.getLogger(Transactions.class);
    private static final String HOOKS = Transactions.class.getName() + ".hooks";

    private Transactions() {
    }

    /** {@code Panache.withTransaction(work)}, then the hooks registered meanwhile. */
    public static <T> Uni<T> run(Supplier<Uni<T>> work) {
        return Uni.createFrom().deferred(() -> {
            if (ContextLocals.get(HOOKS).isPresent()) {
                return Panache.withTransaction(work);
            }
            List<Consumer<Boolean>> hooks = new ArrayList<>();
            ContextLocals.put(HOOKS, hooks);
            return Panache.withTransaction(work)
                    .onItemOrFailure().invoke((item, failure) -> {
                        ContextLocals.remove(HOOKS);
                        boolean committed = failure == null;
                        for (Consumer<Boolean> hook : hooks) {
                            try {
                                hook.accept(committed);
                            } catch (RuntimeException e) {
                                LOG.errorf(e, "A hook after a transaction's %s failed",
                                        committed ? "commit" : "rollback");
                            }
                        }
                    });
        });
    }

    /**
     * Runs {@code hook} once the transaction of {@link #run} around the caller has ended, told whether it committed.
     * Fails when the caller runs in no such transaction: what the hook keeps in step would silently drift.
     */
    public static void afterCompletion(Consumer<Boolean> hook) {
        Context context = Vertx.currentContext();
        if (context == null || !VertxContext.isDuplicatedContext(context)) {
            throw new IllegalStateException("not in a transaction of Transactions.run (no Vert.x duplicated context)");
        }
        List<Consumer<Boolean>> hooks = ContextLocals.<List<Consumer<Boolean>>>get(HOOKS)
                .orElseThrow(() -> new IllegalStateException(
                        "not in a transaction of Transactions.run: its end could not be followed"));
        hooks.add(hook);
    }
}
