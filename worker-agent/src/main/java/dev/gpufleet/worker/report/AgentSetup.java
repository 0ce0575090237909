package dev.gpufleet.worker.report;

import dev.gpufleet.worker.devices.DeviceInventory;
import dev.gpufleet.worker.identity.WorkerIdentity;

import java.util.Optional;

/** What stays the same from one heartbeat to the next, and the devices of the latest one. */
public record AgentSetup(WorkerIdentity identity, String address, String os, String arch,
                         Optional<String> labelsSetting, DeviceInventory devices, int heartbeatIntervalSeconds) {

    /** The same setup with this beat's devices (detection runs every beat). */
    public AgentSetup withDevices(DeviceInventory now) {
        return new AgentSetup(identity, address, os, arch, labelsSetting, now, heartbeatIntervalSeconds);
    }
}
