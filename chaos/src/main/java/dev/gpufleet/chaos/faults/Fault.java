package dev.gpufleet.chaos.faults;

import java.util.List;

/** One fault the suite injects into the running fleet, and the rows it measures (most faults one). */
public interface Fault {
    /** The row names, as the table shows them (for rows that cannot run, too). */
    List<String> rows();

    List<String> expectations();

    /** Whether it cuts a worker's network, which needs network namespaces. */
    default boolean needsNamespaces() {
        return false;
    }

    /** Injects the fault under the running load, waits until the fleet is whole again and judges each row. */
    List<dev.gpufleet.chaos.RowResult> run(FaultContext context) throws Exception;
}
