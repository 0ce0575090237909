package dev.gpufleet.scheduler.placement;

/**
 * How placement counts memory.
 *
 * @param ramReservedBytes      kept free on every worker for the OS and the agent
 * @param vramReservedBytes     kept free on every GPU
 * @param rpcServerRamBytes     host RAM each llama.cpp RPC server holds on a subordinate worker
 * @param accounting            how used memory is counted
 */
public record PlacementSettings(long ramReservedBytes, long vramReservedBytes, long rpcServerRamBytes,
                                Accounting accounting) {
    public static final long GIB = 1L << 30;
    public static final PlacementSettings DEFAULT =
            new PlacementSettings(2 * GIB, GIB, 256L << 20, Accounting.OBSERVED);

    public enum Accounting {
        /** allocatable = total − reserved − max(our claims, what the device reports as used). */
        OBSERVED,
        /** GPUStack's rule, kept for comparison: allocatable = total − reserved − our claims. */
        CLAIMS_ONLY
    }

    public PlacementSettings {
        if (ramReservedBytes < 0 || vramReservedBytes < 0 || rpcServerRamBytes < 0) {
            throw new IllegalArgumentException("reserved and RPC server memory must be ≥ 0 bytes");
        }
        accounting = accounting == null ? Accounting.OBSERVED : accounting;
    }

    public PlacementSettings withAccounting(Accounting accounting) {
        return new PlacementSettings(ramReservedBytes, vramReservedBytes, rpcServerRamBytes, accounting);
    }

    long allocatable(long total, long reserved, long used, long claimed) {
        long taken = accounting == Accounting.OBSERVED ? Math.max(claimed, used) : claimed;
        return total - reserved - taken;
    }
}
