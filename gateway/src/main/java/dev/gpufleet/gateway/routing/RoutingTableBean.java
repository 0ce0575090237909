package dev.gpufleet.gateway.routing;

import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/** The one routing table of this gateway process. */
public class RoutingTableBean {
    @Produces
    @Singleton
    RoutingTable routingTable() {
        return new RoutingTable();
    }
}
