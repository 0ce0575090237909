package dev.gpufleet.scheduler.placement;

import io.quarkus.runtime.configuration.MemorySize;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/** The placement settings from configuration; accounting is always ours (OBSERVED) in the service. */
@ApplicationScoped
public class PlacementSettingsProducer {

    @Produces
    @Singleton // a record is final: no client proxy, so no normal scope
    PlacementSettings settings(
            @ConfigProperty(name = "gpufleet.scheduler.reserved-ram", defaultValue = "2G") MemorySize reservedRam,
            @ConfigProperty(name = "gpufleet.scheduler.reserved-vram-per-gpu", defaultValue = "1G")
            MemorySize reservedVram,
            @ConfigProperty(name = "gpufleet.scheduler.rpc-server-ram", defaultValue = "256M") MemorySize rpcServerRam) {
        return new PlacementSettings(reservedRam.asLongValue(), reservedVram.asLongValue(), rpcServerRam.asLongValue(),
                PlacementSettings.Accounting.OBSERVED);
    }
}
