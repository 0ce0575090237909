package dev.gpufleet.gateway.routing;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;

/** How the gateway picks an instance; env form e.g. {@code GPUFLEET_GATEWAY_ROUTING_AFFINITY_SLACK}. */
@ConfigMapping(prefix = "gpufleet.gateway.routing")
public interface RoutingConfig {

    /** Size of one prompt block for prefix affinity, in characters of the prompt's text. */
    @WithDefault("512")
    int affinityBlockChars();

    /** How many leading blocks make the affinity key (0 turns prefix affinity off). */
    @WithDefault("2")
    int affinityBlocks();

    /** The preferred instance keeps a request while it has at most this many more in flight than the least loaded. */
    @WithDefault("2")
    int affinitySlack();

    /** Consecutive failures after which an instance is skipped. */
    @WithDefault("3")
    int failuresToSkip();

    /** How long a failing instance is skipped (while others are routable). */
    @WithDefault("30s")
    Duration skipFor();
}
