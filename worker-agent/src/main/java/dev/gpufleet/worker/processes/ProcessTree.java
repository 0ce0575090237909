package dev.gpufleet.worker.processes;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Stops a backend with everything it started (llama.cpp RPC workers, a wrapper script's child): TERM to the
 * descendants first, deepest first, then to the root, so that no child is orphaned to init before it is signalled;
 * KILL to whatever is still alive after the timeout.
 */
public final class ProcessTree {
    private ProcessTree() {
    }

    /** @return completes when the root and every descendant seen have exited */
    public static CompletableFuture<Void> stop(ProcessHandle root, Duration timeout, ScheduledExecutorService timer) {
        List<ProcessHandle> tree = deepestFirst(root);
        tree.forEach(ProcessHandle::destroy);
        CompletableFuture<Void> allGone = CompletableFuture.allOf(
                tree.stream().map(ProcessHandle::onExit).toArray(CompletableFuture[]::new));
        timer.schedule(() -> {
            if (!allGone.isDone()) {
                List<ProcessHandle> stillThere = new ArrayList<>(deepestFirst(root));
                tree.stream().filter(ProcessHandle::isAlive).filter(p -> !stillThere.contains(p))
                        .forEach(stillThere::add);
                stillThere.forEach(ProcessHandle::destroyForcibly);
            }
        }, timeout.toMillis(), TimeUnit.MILLISECONDS);
        return allGone;
    }

    /** The root's descendants in post-order (children before their parent), then the root. */
    static List<ProcessHandle> deepestFirst(ProcessHandle root) {
        List<ProcessHandle> ordered = new ArrayList<>();
        addPostOrder(root, ordered);
        return ordered;
    }

    private static void addPostOrder(ProcessHandle handle, List<ProcessHandle> ordered) {
        handle.children().forEach(child -> addPostOrder(child, ordered));
        if (handle.isAlive()) {
            ordered.add(handle);
        }
    }
}
