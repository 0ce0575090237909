package dev.gpufleet.worker;

import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.GpuDevice;
import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.InstanceDeleted;
import dev.gpufleet.events.InstanceObserved;
import dev.gpufleet.events.LaunchPlan;
import dev.gpufleet.events.ModelSource;
import dev.gpufleet.events.ObservedInstance;
import dev.gpufleet.events.ResourceClaim;
import dev.gpufleet.events.SubordinateWorker;
import dev.gpufleet.events.WorkerReported;
import io.quarkus.runtime.annotations.RegisterForReflection;

/** EventCodec serialises these records with Jackson; a native image must keep their accessors. */
@RegisterForReflection(targets = {Envelope.class, WorkerReported.class, GpuDevice.class, ObservedInstance.class,
        InstanceChanged.class, InstanceDeleted.class, InstanceObserved.class, LaunchPlan.class, ModelSource.class,
        ResourceClaim.class, SubordinateWorker.class})
public final class NativeImageReflection {
    private NativeImageReflection() {
    }
}
