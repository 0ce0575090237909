package dev.gpufleet.gateway.admin;

import io.netty.channel.ConnectTimeoutException;
import io.vertx.core.http.HttpClosedException;
import org.junit.jupiter.api.Test;

import java.net.ConnectException;
import java.util.List;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ServiceFailureTest {
    private static final String URL = "http://127.0.0.1:8082";

    record Case(Throwable cause, int status, String message, boolean retryLater) {
    }

    @Test
    void eachFailureHasItsStatusAndNamesTheService() {
        List<Case> cases = List.of(
                new Case(new ConnectException("Connection refused"), 503,
                        "scheduler-service is not reachable at " + URL + ": Connection refused", true),
                new Case(new ConnectTimeoutException("connection timed out"), 503,
                        "scheduler-service is not reachable at " + URL + ": connection timed out", true),
                new Case(new TimeoutException("idle"), 504,
                        "scheduler-service at " + URL + " did not answer within 60000 ms", true),
                new Case(new HttpClosedException("Connection was closed"), 502,
                        "scheduler-service at " + URL + " did not answer: Connection was closed", false));
        for (Case c : cases) {
            ServiceFailure failure = ServiceFailure.of(AdminPaths.Service.SCHEDULER, URL, c.cause(), 60_000);
            assertEquals(new ServiceFailure(c.status(), c.message()), failure, c.cause().toString());
            assertEquals(c.retryLater(), failure.retryLater());
        }
    }
}
