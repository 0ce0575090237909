package dev.gpufleet.gateway.routing;

import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import java.time.Clock;

/** The one routing table of this gateway process. */
public class RoutingTableBean {
    @Produces
    @Singleton
    RoutingTable routingTable(Clock clock) {
        return new RoutingTable(clock);
    }
}
