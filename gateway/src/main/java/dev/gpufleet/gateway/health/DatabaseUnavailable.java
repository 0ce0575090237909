package dev.gpufleet.gateway.health;

/**
 * The gateway's PostgreSQL could not be asked: it did not answer within the deadline, or the connection failed.
 * The REST resources answer it with 503 and {@code Retry-After} ({@link DatabaseUnavailableMapper}).
 */
public final class DatabaseUnavailable extends RuntimeException {
    public DatabaseUnavailable(String message, Throwable cause) {
        super(message, cause, false, false);
    }
}
