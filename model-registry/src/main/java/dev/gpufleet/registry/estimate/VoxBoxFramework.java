package dev.gpufleet.registry.estimate;

/** The speech frameworks vox-box runs; each has its own fixed memory table (GPUStack's, gpustack.md §4.3). */
public enum VoxBoxFramework {
    FASTER_WHISPER,
    BARK,
    COSYVOICE,
    DIA,
    FUNASR
}
