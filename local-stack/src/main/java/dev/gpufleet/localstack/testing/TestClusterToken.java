package dev.gpufleet.localstack.testing;

/**
 * The secrets every service's {@code %test} profile sets in its application.properties, for tests that call a
 * service under test. Each is at least 32 bytes, as the services demand of every secret.
 */
public final class TestClusterToken {
    /** The service token, {@code %test.gpufleet.cluster-token}: internal routes of the registry, scheduler, agent. */
    public static final String TOKEN = "test-cluster-token-0123456789abcdef";
    /** {@code %test.gpufleet.backend-key-secret}: the gateway's and the agent's, keys the backends' API keys. */
    public static final String BACKEND_KEY_SECRET = "test-backend-key-secret-0123456789abcdef";
    /** {@code %test.gpufleet.metrics-token}: the management interface's /q/metrics. */
    public static final String METRICS_TOKEN = "test-metrics-token-0123456789abcdef";
    /** {@code %test.gpufleet.gateway.admin-api-key}: the gateway's first admin, created with this key. */
    public static final String ADMIN_API_KEY =
            "gpf_00000000000a0001_a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf";

    private TestClusterToken() {
    }
}
