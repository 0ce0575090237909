package dev.gpufleet.worker.report;

import dev.gpufleet.worker.devices.DeviceInventory;
import dev.gpufleet.worker.identity.WorkerIdentity;

import java.util.Optional;

/** What stays the same from one heartbeat to the next. */
public record AgentSetup(WorkerIdentity identity, String address, String os, String arch,
                         Optional<String> labelsSetting, DeviceInventory devices, int heartbeatIntervalSeconds) {
}
