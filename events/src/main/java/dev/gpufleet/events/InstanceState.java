package dev.gpufleet.events;

/** Instance states (DESIGN §3). The scheduler is their single writer. */
public enum InstanceState { PENDING, SCHEDULED, DOWNLOADING, STARTING, RUNNING, ERROR, UNREACHABLE }
