package dev.gpufleet.worker.processes;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Real process trees made of /bin/sh and sleep. */
class ProcessTreeTest {
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private final List<ProcessHandle> started = new ArrayList<>();

    @AfterEach
    void cleanUp() {
        started.forEach(p -> p.descendants().forEach(ProcessHandle::destroyForcibly));
        started.forEach(ProcessHandle::destroyForcibly);
        timer.shutdownNow();
    }

    private ProcessHandle shell(String script) throws Exception {
        Process process = new ProcessBuilder("/bin/sh", "-c", script).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        started.add(process.toHandle());
        return process.toHandle();
    }

    private static List<ProcessHandle> descendantsOnceThere(ProcessHandle root, int count) {
        return await().atMost(Duration.ofSeconds(5))
                .until(() -> root.descendants().toList(), list -> list.size() >= count);
    }

    @Test
    void termStopsTheWholeTreeChildrenFirst() throws Exception {
        // a parent waiting on two children, one of which has a child of its own
        ProcessHandle root = shell("sleep 60 & (sleep 61 & wait) & wait");
        List<ProcessHandle> tree = new ArrayList<>(descendantsOnceThere(root, 3));

        List<ProcessHandle> order = ProcessTree.deepestFirst(root);
        assertTrue(order.indexOf(root) == order.size() - 1, "the root last: " + order);
        for (ProcessHandle p : tree) {
            p.parent().filter(order::contains)
                    .ifPresent(parent -> assertTrue(order.indexOf(p) < order.indexOf(parent), "child first"));
        }

        ProcessTree.stop(root, Duration.ofSeconds(30), timer).get(10, TimeUnit.SECONDS);

        tree.add(root);
        tree.forEach(p -> assertFalse(p.isAlive(), p + " still alive"));
    }

    @Test
    void whatIgnoresTermIsKilledAfterTheTimeout() throws Exception {
        ProcessHandle root = shell("trap '' TERM; sleep 60 & while true; do sleep 0.1; done");
        List<ProcessHandle> tree = descendantsOnceThere(root, 2);
        long start = System.nanoTime();

        ProcessTree.stop(root, Duration.ofMillis(700), timer).get(10, TimeUnit.SECONDS);

        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(millis >= 600, "waited for the timeout before KILL: " + millis + " ms");
        assertFalse(root.isAlive());
        tree.forEach(p -> assertFalse(p.isAlive(), p + " still alive"));
    }
}
