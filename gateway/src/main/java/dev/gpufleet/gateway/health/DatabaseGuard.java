package dev.gpufleet.gateway.health;

import io.netty.channel.ConnectTimeoutException;
import io.smallrye.mutiny.Uni;
import io.vertx.core.VertxException;
import io.vertx.sqlclient.DatabaseException;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeoutException;

/**
 * Every call the gateway makes to its PostgreSQL on a client's behalf goes through here: it gets a deadline, so a
 * paused or unreachable database never makes a request hang, and its outcome tells {@link ControlPlaneState}
 * whether the database answers. A call that fails because the database could not be asked fails with
 * {@link DatabaseUnavailable}; an answer that is an error (a constraint, say) passes through as it is.
 */
@Singleton
public class DatabaseGuard {
    private final ControlPlaneState state;
    private final Duration timeout;

    public DatabaseGuard(ControlPlaneState state,
                         @ConfigProperty(name = "gpufleet.gateway.database.timeout", defaultValue = "3s")
                         Duration timeout) {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("gpufleet.gateway.database.timeout must be positive, was " + timeout);
        }
        this.state = state;
        this.timeout = timeout;
    }

    /** Whether the last call or probe found the database answering. */
    public boolean available() {
        return state.databaseUp();
    }

    public Duration timeout() {
        return timeout;
    }

    /** {@code call} under the deadline; its outcome is reported. The query itself is not cancelled by the deadline. */
    public <T> Uni<T> guard(Uni<T> call) {
        return call.ifNoItem().after(timeout).failWith(() -> new TimeoutException(
                        "PostgreSQL did not answer within " + timeout.toMillis() + " ms"))
                .onItem().invoke(ignored -> state.database(true, ""))
                .onFailure().transform(failure -> {
                    if (!unreachable(failure)) {
                        state.database(true, "");
                        return failure;
                    }
                    state.database(false, failure.toString());
                    return new DatabaseUnavailable("The database cannot be reached at the moment (" + failure
                            .getMessage() + "); retry shortly.", failure);
                });
    }

    /**
     * Whether {@code failure} means the database could not be asked (no answer in time, no connection), as opposed
     * to an answer that is an error.
     */
    static boolean unreachable(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof DatabaseException) {
                return false;
            }
            if (cause instanceof TimeoutException || cause instanceof IOException
                    || cause instanceof ConnectTimeoutException || cause instanceof VertxException
                    || cause instanceof DatabaseUnavailable) {
                return true;
            }
            if (cause.getCause() == cause) {
                break;
            }
        }
        return false;
    }
}
