package dev.gpufleet.localstack.testing;

import org.eclipse.microprofile.config.ConfigProvider;

/**
 * The management interface of the service under test ({@code /q/metrics}, the metrics token only): its port as
 * bound, random in tests ({@code %test.quarkus.management.test-port=0}).
 */
public final class TestManagement {
    private TestManagement() {
    }

    public static int port() {
        return ConfigProvider.getConfig().getValue("quarkus.management.test-port", Integer.class);
    }
}
