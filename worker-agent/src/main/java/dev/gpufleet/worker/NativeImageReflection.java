package dev.gpufleet.worker;

import dev.gpufleet.events.DeadLetter;
import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.GpuDevice;
import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.InstanceDeleted;
import dev.gpufleet.events.InstanceObserved;
import dev.gpufleet.events.LaunchPlan;
import dev.gpufleet.events.ModelSource;
import dev.gpufleet.events.ObservedInstance;
import dev.gpufleet.events.PlacementShape;
import dev.gpufleet.events.ResourceClaim;
import dev.gpufleet.events.SubordinateWorker;
import dev.gpufleet.events.WorkerReported;
import dev.gpufleet.kit.http.ApiError;
import dev.gpufleet.worker.identity.WorkerIdentity;
import dev.gpufleet.worker.report.WorkerView;
import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * Records Jackson reads or writes outside the REST layer's own registration: EventCodec's events (the dead letters
 * of the kit's DeadLetterPublisher too), identity.json, and the bodies of the agent's API and its errors. A native
 * image must keep their accessors and canonical constructors.
 */
@RegisterForReflection(targets = {Envelope.class, WorkerReported.class, GpuDevice.class, ObservedInstance.class,
        InstanceChanged.class, InstanceDeleted.class, InstanceObserved.class, LaunchPlan.class, ModelSource.class,
        ResourceClaim.class, SubordinateWorker.class, PlacementShape.class, DeadLetter.class, ApiError.class,
        WorkerIdentity.class, WorkerView.class})
public final class NativeImageReflection {
    private NativeImageReflection() {
    }
}
