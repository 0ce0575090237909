package dev.gpufleet.localstack.launcher;

import java.util.Optional;

/** Ends this process (through its shutdown hooks) when the launcher that started it is gone, e.g. killed -9. */
final class ParentWatch {
    private ParentWatch() {
    }

    static void exitWhenParentDies() {
        Optional<ProcessHandle> parent = ProcessHandle.current().parent();
        parent.ifPresent(p -> p.onExit().thenRun(() -> System.exit(0)));
    }
}
