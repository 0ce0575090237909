package dev.gpufleet.localstack.launcher;

import dev.gpufleet.localstack.EmbeddedPostgresServer;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * The embedded default's PostgreSQL as its own process: {@code PostgresMain <data-dir> <port> <database> <user>},
 * the user's password in the environment variable {@code GPUFLEET_DB_PASSWORD} (not on the command line, where
 * every local user could read it). Prints {@link #READY} and runs until terminated.
 */
public final class PostgresMain {
    public static final String READY = "gpufleet: postgres ready";
    public static final String PASSWORD_ENV = "GPUFLEET_DB_PASSWORD";

    private PostgresMain() {
    }

    public static void main(String[] args) throws Exception {
        String password = System.getenv(PASSWORD_ENV);
        if (args.length != 4 || password == null || password.isEmpty()) {
            System.err.println("usage: " + PASSWORD_ENV + "=... PostgresMain <data-dir> <port> <database> <user>");
            System.exit(2);
        }
        EmbeddedPostgresServer postgres = EmbeddedPostgresServer.start(Path.of(args[0]), Integer.parseInt(args[1]));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            postgres.close();
            stopped.countDown();
        }, "postgres-shutdown"));
        ParentWatch.exitWhenParentDies();
        postgres.ensureDatabase(args[2], args[3], password);
        System.out.println(READY + " on 127.0.0.1:" + postgres.port());
        stopped.await();
    }
}
