package dev.gpufleet.kit.outbox;

import dev.gpufleet.kit.kafka.KafkaClients;
import org.apache.kafka.clients.producer.Producer;

import java.time.Duration;
import java.util.Optional;

/**
 * An outbox relay as a process of its own, so a test can SIGKILL it mid-stream. Arguments: JDBC URL, user,
 * password, bootstrap servers, table. Prints {@code publishing} once it holds the outbox, then runs until killed.
 */
public final class RelayProcess {
    private RelayProcess() {
    }

    public static void main(String[] args) throws Exception {
        Producer<String, String> producer = KafkaClients.stringProducer(args[3], "relay-process");
        OutboxRelay relay = new OutboxRelay(OutboxRelay.jdbc(args[0], args[1], Optional.of(args[2]), "relay-process"),
                args[4], producer, Duration.ofMillis(20), 20);
        relay.start();
        while (!relay.isPublishing()) {
            Thread.sleep(10);
        }
        System.out.println("publishing");
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
