package dev.gpufleet.localstack;

import dev.gpufleet.events.Topics;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.utils.Time;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A real single-node Kafka broker (KRaft, broker and controller in one) running in this JVM. Its ports and data
 * directory are fixed when it is built, so it can be stopped and started again on the same address with its
 * data: that is how tests take Kafka away and bring it back.
 */
public final class EmbeddedKafka implements AutoCloseable {
    private static final String CLUSTER_ID = "gpufleet-local-kafka1";

    private final Path dataDir;
    private final String host;
    private final int brokerPort;
    private final int controllerPort;
    private final boolean deleteDataOnClose;
    private KafkaRaftServer server;
    private int securePort;
    private Path secureKeystore;
    private String secureKeystorePassword;

    public EmbeddedKafka(Path dataDir, int brokerPort, int controllerPort, boolean deleteDataOnClose) {
        this(dataDir, "127.0.0.1", brokerPort, controllerPort, deleteDataOnClose);
    }

    /**
     * @param host the address clients connect to, which the broker listens on and advertises (its controller stays on
     *             loopback): another address than loopback lets clients in other network namespaces reach it
     */
    public EmbeddedKafka(Path dataDir, String host, int brokerPort, int controllerPort, boolean deleteDataOnClose) {
        this.dataDir = dataDir;
        this.host = host;
        this.brokerPort = brokerPort;
        this.controllerPort = controllerPort;
        this.deleteDataOnClose = deleteDataOnClose;
    }

    /** A throwaway broker on free ports with its data in a temp directory removed on {@link #close()}. */
    public static EmbeddedKafka throwaway() {
        try {
            return new EmbeddedKafka(Files.createTempDirectory("gpufleet-kafka-"), FreePorts.pick(), FreePorts.pick(),
                    true);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Adds a second listener on {@code port} that takes only SASL SCRAM-SHA-512 over TLS (what the Helm chart's
     * production values ask of Strimzi), its certificate from {@code keystoreP12}. The PLAINTEXT listener stays for
     * the broker itself and for {@link #addScramUser}. Call before {@link #start()}.
     */
    public synchronized EmbeddedKafka withScramOverTls(int port, Path keystoreP12, String password) {
        if (server != null) {
            throw new IllegalStateException("the broker is already running");
        }
        this.securePort = port;
        this.secureKeystore = keystoreP12;
        this.secureKeystorePassword = password;
        return this;
    }

    /** The SCRAM-over-TLS listener's address; see {@link #withScramOverTls}. */
    public String secureBootstrapServers() {
        if (securePort == 0) {
            throw new IllegalStateException("no SCRAM-over-TLS listener: call withScramOverTls first");
        }
        return host + ":" + securePort;
    }

    /** Creates or updates a SCRAM-SHA-512 user (through the PLAINTEXT listener). */
    public void addScramUser(String user, String password) {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()))) {
            admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(user,
                    new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096), password))).all()
                    .get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("cannot create SCRAM user " + user + ": " + e.getMessage(), e);
        }
    }

    /** The client's {@code sasl.jaas.config} for a SCRAM user, as Strimzi writes it into a KafkaUser's Secret. */
    public static String scramJaasConfig(String user, String password) {
        return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user
                + "\" password=\"" + password + "\";";
    }

    public synchronized EmbeddedKafka start() {
        if (server != null) {
            return this;
        }
        quietBrokerLogs();
        Properties config = config();
        formatStorageOnce(config);
        server = new KafkaRaftServer(new KafkaConfig(config), Time.SYSTEM);
        server.startup();
        awaitReady(Duration.ofSeconds(60));
        return this;
    }

    public synchronized void stop() {
        if (server == null) {
            return;
        }
        server.shutdown();
        server.awaitShutdown();
        server = null;
    }

    public String bootstrapServers() {
        return host + ":" + brokerPort;
    }

    /** Creates every gpufleet topic (compacted where the contract says so); existing ones are left alone. */
    public void createTopics(int partitions) {
        createTopics(bootstrapServers(), partitions);
    }

    public static void createTopics(String bootstrapServers, int partitions) {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
            for (String topic : Topics.ALL) {
                NewTopic t = new NewTopic(topic, partitions, (short) 1).configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG,
                        Topics.isCompacted(topic) ? TopicConfig.CLEANUP_POLICY_COMPACT : TopicConfig.CLEANUP_POLICY_DELETE));
                try {
                    admin.createTopics(List.of(t)).all().get(30, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("cannot create topic " + topic, e.getCause());
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("topic creation timed out on " + bootstrapServers, e);
        }
    }

    @Override
    public void close() {
        stop();
        if (deleteDataOnClose) {
            Dirs.deleteRecursively(dataDir);
        }
    }

    private Properties config() {
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", "1");
        p.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        String secure = securePort == 0 ? "" : ",SASL_SSL://" + host + ":" + securePort;
        p.put("listeners", "PLAINTEXT://" + host + ":" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort
                + secure);
        p.put("advertised.listeners", "PLAINTEXT://" + host + ":" + brokerPort + secure);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
                + (securePort == 0 ? "" : ",SASL_SSL:SASL_SSL"));
        if (securePort != 0) {
            p.put("sasl.enabled.mechanisms", "SCRAM-SHA-512");
            p.put("listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config",
                    "org.apache.kafka.common.security.scram.ScramLoginModule required;");
            p.put("ssl.keystore.type", "PKCS12");
            p.put("ssl.keystore.location", secureKeystore.toAbsolutePath().toString());
            p.put("ssl.keystore.password", secureKeystorePassword);
            p.put("ssl.key.password", secureKeystorePassword);
        }
        p.put("log.dirs", dataDir.resolve("log").toString());
        p.put("num.partitions", "1");
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "1");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("auto.create.topics.enable", "true");
        // small segments so compaction has something to do on a laptop-sized stack
        p.put("log.segment.bytes", String.valueOf(16 * 1024 * 1024));
        return p;
    }

    private void formatStorageOnce(Properties config) {
        Path metaProperties = dataDir.resolve("log").resolve("meta.properties");
        if (Files.exists(metaProperties)) {
            return;
        }
        try {
            Files.createDirectories(dataDir);
            Path file = dataDir.resolve("server.properties");
            try (Writer w = Files.newBufferedWriter(file)) {
                config.store(w, "gpufleet embedded Kafka");
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            int rc = StorageTool.execute(new String[]{"format", "-t", CLUSTER_ID, "-c", file.toString()},
                    new PrintStream(out, true, StandardCharsets.UTF_8));
            if (rc != 0) {
                throw new IllegalStateException("Kafka storage format failed: " + out.toString(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare Kafka data dir " + dataDir, e);
        } catch (Exception e) {
            throw new IllegalStateException("Kafka storage format failed in " + dataDir, e);
        }
    }

    private void awaitReady(Duration timeout) {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()))) {
            admin.describeCluster().nodes().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("Kafka on " + bootstrapServers() + " did not become ready", e);
        }
    }

    /** The broker logs thousands of INFO lines; keep WARN and above. Done before Quarkus configures logging. */
    private static void quietBrokerLogs() {
        for (String category : new String[]{"kafka", "org.apache.kafka", "state.change.logger", "org.apache.zookeeper"}) {
            Logger logger = Logger.getLogger(category);
            logger.setLevel(Level.WARNING);
            QUIETED.add(logger); // JUL holds loggers weakly; a collected logger would forget its level
        }
    }

    private static final List<Logger> QUIETED = new java.util.concurrent.CopyOnWriteArrayList<>();
}
