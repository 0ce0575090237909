package dev.gpufleet.events;

/**
 * Worker states (DESIGN §3). An agent only ever reports {@link #READY} or {@link #NOT_READY}; the scheduler
 * derives {@link #UNREACHABLE} from missed heartbeats and an admin sets {@link #MAINTENANCE}.
 */
public enum WorkerState { READY, NOT_READY, UNREACHABLE, MAINTENANCE }
