package dev.gpufleet.localstack.testing;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.util.Map;

/**
 * Turns tracing on in the app under test and points its OTLP/HTTP exporter at an {@link OtlpReceiver}, with a short
 * export delay so spans arrive within a test's patience. The receiver's address is {@code test.otlp-endpoint}.
 */
public class OtlpTestResource implements QuarkusTestResourceLifecycleManager {
    private OtlpReceiver receiver;

    @Override
    public Map<String, String> start() {
        receiver = OtlpReceiver.start();
        return Map.of(
                "quarkus.otel.sdk.disabled", "false",
                "quarkus.otel.exporter.otlp.traces.endpoint", receiver.endpoint(),
                "quarkus.otel.exporter.otlp.traces.protocol", "http/protobuf",
                "quarkus.otel.bsp.schedule.delay", "100ms",
                "test.otlp-endpoint", receiver.endpoint());
    }

    @Override
    public void stop() {
        if (receiver != null) {
            receiver.close();
        }
    }
}
