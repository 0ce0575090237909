package dev.gpufleet.registry.analysis;

import dev.gpufleet.registry.models.ModelStore;
import dev.gpufleet.registry.models.StoredModel;
import dev.gpufleet.registry.outbox.ModelEventRelay;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.vertx.VertxContextSupport;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Analyses models whose analysis is due (hub sources, and any model an admin asked to re-analyse), one at a time
 * on its own thread: hub calls block and may be slow, and must never hold a request or the event loop.
 */
@ApplicationScoped
public class BackgroundAnalysis {
    private static final Logger LOG = Logger.getLogger(BackgroundAnalysis.class);
    private static final int BATCH = 4;

    private final ModelStore store;
    private final ModelAnalyzer analyzer;
    private final ModelEventRelay relay;
    private final Duration interval;
    private ScheduledExecutorService executor;

    public BackgroundAnalysis(ModelStore store, ModelAnalyzer analyzer, ModelEventRelay relay,
                              @ConfigProperty(name = "gpufleet.model-analysis.interval", defaultValue = "2s")
                              Duration interval) {
        this.store = store;
        this.analyzer = analyzer;
        this.relay = relay;
        this.interval = interval;
    }

    void start(@Observes StartupEvent ignored) {
        executor = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread t = new Thread(task, "gpufleet-model-analysis");
            t.setDaemon(true);
            return t;
        });
        executor.scheduleWithFixedDelay(this::runDue, interval.toMillis(), interval.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    void stop(@Observes ShutdownEvent ignored) {
        if (executor != null) {
            executor.shutdownNow();
        }
    }

    /** Also called by tests to run a pass now. */
    public void runDue() {
        try {
            List<StoredModel> due = VertxContextSupport.subscribeAndAwait(() -> store.dueForAnalysis(BATCH));
            for (StoredModel model : due) {
                AnalysisStep step = analyzer.step(model.spec());
                boolean published = VertxContextSupport.subscribeAndAwait(
                        () -> store.recordAnalysis(model.id(), model.revision(), step));
                if (published) {
                    relay.wakeUp();
                }
            }
        } catch (Throwable e) {
            // a throw would end the schedule; the next pass tries again
            LOG.warnf("Background model analysis failed, trying again in %s: %s", interval, e.toString());
        }
    }
}
