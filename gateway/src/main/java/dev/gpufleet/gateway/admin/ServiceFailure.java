package dev.gpufleet.gateway.admin;

import io.netty.channel.ConnectTimeoutException;

import java.net.ConnectException;
import java.util.concurrent.TimeoutException;

/** How the admin API answers when an owning service gave no answer: the status, and a message naming the service. */
public record ServiceFailure(int status, String message) {

    public static ServiceFailure of(AdminPaths.Service service, String url, Throwable cause, long timeoutMillis) {
        if (cause instanceof TimeoutException) {
            return new ServiceFailure(504, service.displayName() + " at " + url + " did not answer within "
                    + timeoutMillis + " ms");
        }
        if (cause instanceof ConnectException || cause instanceof ConnectTimeoutException) {
            return new ServiceFailure(503, service.displayName() + " is not reachable at " + url + ": "
                    + cause.getMessage());
        }
        return new ServiceFailure(502, service.displayName() + " at " + url + " did not answer: "
                + cause.getMessage());
    }

    /** A service that is down or stalled may be back soon: the client is told when to try again. */
    public boolean retryLater() {
        return status == 503 || status == 504;
    }
}
