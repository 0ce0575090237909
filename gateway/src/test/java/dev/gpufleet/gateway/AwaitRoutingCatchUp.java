package dev.gpufleet.gateway;

import dev.gpufleet.gateway.health.RoutingCatchUp;
import io.quarkus.arc.Arc;
import io.quarkus.test.junit.callback.QuarkusTestBeforeEachCallback;
import io.quarkus.test.junit.callback.QuarkusTestMethodContext;

import java.util.concurrent.TimeUnit;

/**
 * Tests only: a {@code @QuarkusTest} begins once the gateway has caught up with its routing topics, as a Service
 * sends traffic only to a ready gateway; before that, {@code /v1} answers 503 by design.
 */
public class AwaitRoutingCatchUp implements QuarkusTestBeforeEachCallback {
    private static final long PATIENCE_NANOS = TimeUnit.SECONDS.toNanos(60);

    @Override
    public void beforeEach(QuarkusTestMethodContext context) {
        RoutingCatchUp catchUp = Arc.container().instance(RoutingCatchUp.class).get();
        long deadline = System.nanoTime() + PATIENCE_NANOS;
        while (!catchUp.caughtUp()) {
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("the gateway's routing table did not catch up within 60 s");
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
