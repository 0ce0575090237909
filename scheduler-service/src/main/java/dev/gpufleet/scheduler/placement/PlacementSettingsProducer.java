package dev.gpufleet.scheduler.placement;

import dev.gpufleet.scheduler.SchedulerConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/** The placement settings from configuration; accounting is always ours (OBSERVED) in the service. */
@ApplicationScoped
public class PlacementSettingsProducer {

    @Produces
    @Singleton // a record is final: no client proxy, so no normal scope
    PlacementSettings settings(SchedulerConfig config) {
        return new PlacementSettings(config.reservedRam().asLongValue(), config.reservedVramPerGpu().asLongValue(),
                config.rpcServerRam().asLongValue(), PlacementSettings.Accounting.OBSERVED);
    }
}
