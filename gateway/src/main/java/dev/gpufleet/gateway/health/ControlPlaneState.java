package dev.gpufleet.gateway.health;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

/**
 * Whether the gateway can reach Kafka and its PostgreSQL right now. Neither is needed to route a request (the
 * routing table is in memory, verified keys are cached, usage is buffered), so either away makes the gateway
 * degraded, not unready: the readiness check reports it, and {@code gpufleet_gateway_dependency_up} says it.
 * Each change is logged once.
 */
@Singleton
public class ControlPlaneState {
    private static final Logger LOG = Logger.getLogger(ControlPlaneState.class);

    /** One dependency: reachable or not, since when, and why not. */
    private static final class Dependency {
        private final String name;
        private final String consequence;
        private volatile boolean up = true;
        private volatile long downSinceMillis;
        private volatile String why = "";

        Dependency(String name, String consequence) {
            this.name = name;
            this.consequence = consequence;
        }

        void set(boolean reachable, String reason) {
            if (reachable != up) {
                change(reachable, reason);
            }
        }

        private synchronized void change(boolean reachable, String reason) {
            if (reachable == up) {
                return;
            }
            up = reachable;
            if (reachable) {
                LOG.infof("%s is reachable again after %d s", name,
                        (System.currentTimeMillis() - downSinceMillis) / 1000);
                why = "";
            } else {
                downSinceMillis = System.currentTimeMillis();
                why = reason;
                LOG.warnf("%s is not reachable (%s): %s", name, reason, consequence);
            }
        }
    }

    private final Dependency kafka = new Dependency("Kafka",
            "the gateway keeps routing with the routing table it holds; model and instance changes wait");
    private final Dependency database = new Dependency("PostgreSQL",
            "verified API keys keep working up to the stale key limit, usage is kept in memory, "
                    + "new keys and admin changes answer 503");

    public ControlPlaneState(MeterRegistry meters) {
        Gauge.builder("gpufleet.gateway.dependency.up", kafka, d -> d.up ? 1 : 0)
                .description("1 while the gateway can reach this dependency, 0 while it cannot (degraded)")
                .tag("dependency", "kafka").register(meters);
        Gauge.builder("gpufleet.gateway.dependency.up", database, d -> d.up ? 1 : 0)
                .description("1 while the gateway can reach this dependency, 0 while it cannot (degraded)")
                .tag("dependency", "postgresql").register(meters);
    }

    public boolean kafkaUp() {
        return kafka.up;
    }

    public boolean databaseUp() {
        return database.up;
    }

    public void kafka(boolean reachable, String why) {
        kafka.set(reachable, why);
    }

    public void database(boolean reachable, String why) {
        database.set(reachable, why);
    }

    /** Why Kafka is not reachable ("" while it is). */
    public String kafkaProblem() {
        return kafka.why;
    }

    public String databaseProblem() {
        return database.why;
    }
}
