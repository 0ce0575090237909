package dev.gpufleet.localstack.testing;

/**
 * The cluster token every service's {@code %test} profile sets ({@code %test.gpufleet.cluster-token} in its
 * application.properties), for tests that call a service under test.
 */
public final class TestClusterToken {
    public static final String TOKEN = "test-cluster-token-0123456789";

    private TestClusterToken() {
    }
}
