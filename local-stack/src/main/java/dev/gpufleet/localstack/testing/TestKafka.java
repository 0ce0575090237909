package dev.gpufleet.localstack.testing;

import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import java.lang.management.ManagementFactory;

/**
 * Lets a test stop and restart the broker that {@link KafkaTestResource} started, on the same port.
 *
 * <p>The test resource and the test class may be loaded by different class loaders, so statics are not shared;
 * the platform MBean server is, and it carries only JDK types.
 */
public final class TestKafka {
    static final String OBJECT_NAME = "dev.gpufleet.localstack:type=TestKafka";

    private TestKafka() {
    }

    public static void stop() {
        invoke("stop");
    }

    public static void start() {
        invoke("start");
    }

    public static String bootstrapServers() {
        try {
            return (String) server().getAttribute(name(), "BootstrapServers");
        } catch (JMException e) {
            throw missing(e);
        }
    }

    /** The management interface {@link KafkaTestResource} registers. */
    public interface ControlMBean {
        void stop();

        void start();

        String getBootstrapServers();
    }

    static ObjectName name() {
        try {
            return new ObjectName(OBJECT_NAME);
        } catch (JMException e) {
            throw new IllegalStateException(e);
        }
    }

    static MBeanServer server() {
        return ManagementFactory.getPlatformMBeanServer();
    }

    private static void invoke(String operation) {
        try {
            server().invoke(name(), operation, new Object[0], new String[0]);
        } catch (JMException e) {
            throw missing(e);
        }
    }

    private static IllegalStateException missing(JMException e) {
        return new IllegalStateException("no test broker: add @WithTestKafka", e);
    }
}
