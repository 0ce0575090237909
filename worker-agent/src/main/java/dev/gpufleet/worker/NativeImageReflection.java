package dev.gpufleet.worker;

import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.GpuDevice;
import dev.gpufleet.events.ObservedInstance;
import dev.gpufleet.events.WorkerReported;
import io.quarkus.runtime.annotations.RegisterForReflection;

/** EventCodec serialises these records with Jackson; a native image must keep their accessors. */
@RegisterForReflection(targets = {Envelope.class, WorkerReported.class, GpuDevice.class, ObservedInstance.class})
public final class NativeImageReflection {
    private NativeImageReflection() {
    }
}
