package dev.gpufleet.localstack.launcher;

import dev.gpufleet.localstack.EmbeddedKafka;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * The embedded default's Kafka broker as its own process: {@code KafkaMain <data-dir> <port> <controller-port> [host]}.
 * Keeps its data in the directory, creates every gpufleet topic, prints {@link #READY} and runs until terminated.
 * Clients connect on {@code host} (default 127.0.0.1), e.g. a bridge address that other network namespaces reach.
 */
public final class KafkaMain {
    public static final String READY = "gpufleet: kafka ready";

    private KafkaMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 3 && args.length != 4) {
            System.err.println("usage: KafkaMain <data-dir> <port> <controller-port> [host]");
            System.exit(2);
        }
        String host = args.length == 4 ? args[3] : "127.0.0.1";
        EmbeddedKafka kafka = new EmbeddedKafka(Path.of(args[0]), host, Integer.parseInt(args[1]),
                Integer.parseInt(args[2]), false);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            kafka.stop();
            stopped.countDown();
        }, "kafka-shutdown"));
        ParentWatch.exitWhenParentDies();
        kafka.start();
        kafka.createTopics(1);
        System.out.println(READY + " on " + kafka.bootstrapServers());
        stopped.await();
    }
}
