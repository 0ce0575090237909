package dev.gpufleet.worker.api;

import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.ObservedInstance;
import dev.gpufleet.kit.auth.BackendKeySecret;
import dev.gpufleet.worker.WorkerConfig;
import dev.gpufleet.worker.instances.Supervision;
import io.quarkus.vertx.http.ManagementInterface;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@code GET /q/backend-metrics} on the management port (the metrics token, like {@code /q/metrics}): the engines' own
 * metrics ({@code /metrics} of vLLM, and of llama-box started with {@code --metrics}) of every instance RUNNING
 * here, scraped when asked, each sample labelled with its {@code instance} (the Helm chart's ServiceMonitor keeps that
 * label: honorLabels). Each backend is asked with its own instance API key, and gets {@value #TIMEOUT_MILLIS} ms and
 * {@value #MAX_BYTES} bytes; one that is slower, larger or has no metrics is left out with a comment saying why, so
 * one slow engine never fails the scrape of the others.
 */
@ApplicationScoped
public class BackendMetricsRoute {
    static final long TIMEOUT_MILLIS = 2_000;
    static final int MAX_BYTES = 4 << 20;

    private final Supervision supervision;
    private final String backendHost;
    private final BackendKeySecret backendKeys;
    private final boolean withKeys;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(TIMEOUT_MILLIS))
            .version(HttpClient.Version.HTTP_1_1).build();

    public BackendMetricsRoute(Supervision supervision, WorkerConfig config, BackendKeySecret backendKeys) {
        this.supervision = supervision;
        this.backendHost = Supervision.backendHost(config);
        this.backendKeys = backendKeys;
        this.withKeys = config.backendApiKeys();
    }

    void register(@Observes ManagementInterface management) {
        management.router().get("/q/backend-metrics").handler(ctx -> ctx.vertx().<String>executeBlocking(
                        () -> BackendMetricsText.merge(scrapeAll()), false)
                .onSuccess(text -> ctx.response().putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                        .end(text))
                .onFailure(ctx::fail));
    }

    List<BackendMetricsText.Scraped> scrapeAll() {
        List<ObservedInstance> running = supervision.observed().stream()
                .filter(o -> o.state() == InstanceState.RUNNING && o.port() != null).toList();
        List<CompletableFuture<BackendMetricsText.Scraped>> asked = new ArrayList<>();
        for (ObservedInstance instance : running) {
            asked.add(scrape(instance.instanceId(), instance.port()));
        }
        List<BackendMetricsText.Scraped> out = new ArrayList<>();
        for (int i = 0; i < asked.size(); i++) {
            String id = running.get(i).instanceId();
            try {
                out.add(asked.get(i).get(TIMEOUT_MILLIS + 500, TimeUnit.MILLISECONDS));
            } catch (Exception e) {
                asked.get(i).cancel(true);
                out.add(BackendMetricsText.Scraped.failed(id, "no answer within " + TIMEOUT_MILLIS + " ms"));
            }
        }
        return out;
    }

    private CompletableFuture<BackendMetricsText.Scraped> scrape(String instanceId, int port) {
        String host = backendHost.contains(":") ? "[" + backendHost + "]" : backendHost;
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://" + host + ":" + port + "/metrics"))
                .timeout(Duration.ofMillis(TIMEOUT_MILLIS)).GET();
        if (withKeys) {
            request.header("Authorization", "Bearer " + backendKeys.keyFor(instanceId));
        }
        return http.sendAsync(request.build(), HttpResponse.BodyHandlers.ofInputStream()).thenApply(answer -> {
            try (InputStream body = answer.body()) {
                if (answer.statusCode() != 200) {
                    return BackendMetricsText.Scraped.failed(instanceId, "/metrics answered " + answer.statusCode());
                }
                byte[] bytes = body.readNBytes(MAX_BYTES + 1);
                if (bytes.length > MAX_BYTES) {
                    return BackendMetricsText.Scraped.failed(instanceId, "/metrics is over " + MAX_BYTES + " bytes");
                }
                return BackendMetricsText.Scraped.of(instanceId, new String(bytes, StandardCharsets.UTF_8));
            } catch (IOException e) {
                return BackendMetricsText.Scraped.failed(instanceId, e.toString());
            }
        }).exceptionally(e -> BackendMetricsText.Scraped.failed(instanceId, String.valueOf(e.getCause() != null
                ? e.getCause() : e)));
    }
}
