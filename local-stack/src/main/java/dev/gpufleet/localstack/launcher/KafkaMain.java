package dev.gpufleet.localstack.launcher;

import dev.gpufleet.localstack.EmbeddedKafka;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * The embedded default's Kafka broker as its own process: {@code KafkaMain <data-dir> <port> <controller-port>}.
 * Keeps its data in the directory, creates every gpufleet topic, prints {@link #READY} and runs until terminated.
 */
public final class KafkaMain {
    static final String READY = "gpufleet: kafka ready";

    private KafkaMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: KafkaMain <data-dir> <port> <controller-port>");
            System.exit(2);
        }
        EmbeddedKafka kafka = new EmbeddedKafka(Path.of(args[0]), Integer.parseInt(args[1]), Integer.parseInt(args[2]),
                false);
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
