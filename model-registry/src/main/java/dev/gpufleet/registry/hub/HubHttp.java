package dev.gpufleet.registry.hub;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The HTTP side shared by the hub clients: the token as {@code Authorization: Bearer} (only to the hub's own host,
 * never to a host it redirects to), redirects followed by hand for that reason, one deadline for the whole answer
 * (headers and body), a cap on how many body bytes are read, and statuses turned into {@link HubException}s.
 * Blocking: callers run it off the event loop.
 */
final class HubHttp {
    static final int MAX_REDIRECTS = 5;

    private final HubSettings settings;
    private final HttpClient client;

    HubHttp(HubSettings settings) {
        this.settings = settings;
        this.client = HttpClient.newBuilder()
                .connectTimeout(settings.connectTimeout())
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    HubSettings settings() {
        return settings;
    }

    /** A finished answer: its final status and at most the number of body bytes that were asked for. */
    record Answer(URI uri, int status, HttpHeaders headers, byte[] body, boolean cutShort) {
    }

    private record Body(byte[] bytes, boolean cutShort) {
    }

    /**
     * GETs {@code uri} (following redirects), reading at most {@code maxBodyBytes} of the body; stops reading and
     * closes the connection after that many. {@code what} names the thing fetched, for messages.
     */
    Answer get(URI uri, String rangeHeader, int maxBodyBytes, String what) throws HubException {
        long deadline = System.nanoTime() + settings.requestTimeout().toNanos();
        URI current = uri;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpRequest.Builder request = HttpRequest.newBuilder(current).GET()
                    .timeout(remaining(deadline, what));
            if (rangeHeader != null) {
                request.header("Range", rangeHeader);
            }
            if (settings.token().isPresent() && sameOrigin(current, settings.endpoint())) {
                request.header("Authorization", "Bearer " + settings.token().get());
            }
            Answer answer = send(request.build(), maxBodyBytes, deadline, what);
            if (answer.status() >= 300 && answer.status() < 400 && answer.status() != 304) {
                String location = answer.headers().firstValue("Location").orElseThrow(() -> new HubException(
                        HubException.Kind.BAD_RESPONSE, what + ": redirect " + answer.status() + " without Location"));
                current = current.resolve(location);
                continue;
            }
            return answer;
        }
        throw new HubException(HubException.Kind.BAD_RESPONSE, what + ": more than " + MAX_REDIRECTS + " redirects");
    }

    private Answer send(HttpRequest request, int maxBodyBytes, long deadline, String what) throws HubException {
        CompletableFuture<HttpResponse<Body>> pending = client.sendAsync(request,
                info -> new CappedBody(info.statusCode() >= 300 && info.statusCode() < 400 ? 0 : maxBodyBytes));
        try {
            HttpResponse<Body> response = pending.get(remaining(deadline, what).toNanos(), TimeUnit.NANOSECONDS);
            return new Answer(request.uri(), response.statusCode(), response.headers(), response.body().bytes(),
                    response.body().cutShort());
        } catch (TimeoutException e) {
            pending.cancel(true);
            throw timeout(what);
        } catch (InterruptedException e) {
            pending.cancel(true);
            Thread.currentThread().interrupt();
            throw new HubException(HubException.Kind.UNAVAILABLE, what + ": interrupted");
        } catch (CancellationException e) {
            throw timeout(what);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof HttpTimeoutException) {
                throw timeout(what);
            }
            if (cause instanceof ConnectException || cause instanceof java.nio.channels.UnresolvedAddressException) {
                throw new HubException(HubException.Kind.UNAVAILABLE,
                        what + ": cannot connect to " + settings.endpoint(), cause);
            }
            if (cause instanceof IOException) {
                // Connected, then the connection ended early: depending on timing the JDK reports a body cut
                // short here rather than to the body subscriber.
                throw new HubException(HubException.Kind.TRUNCATED,
                        what + ": the answer was cut short (connection closed early)", cause);
            }
            throw new HubException(HubException.Kind.UNAVAILABLE, what + ": request failed ("
                    + cause.getClass().getSimpleName() + ")", cause);
        }
    }

    private java.time.Duration remaining(long deadline, String what) throws HubException {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            throw timeout(what);
        }
        return java.time.Duration.ofNanos(left);
    }

    private HubException timeout(String what) {
        return new HubException(HubException.Kind.TIMEOUT,
                what + ": no complete answer from " + settings.endpoint() + " within " + settings.requestTimeout());
    }

    /** Throws the {@link HubException} that a non-success status means; {@code what} names the repository/file. */
    void check(Answer answer, String what) throws HubException {
        int status = answer.status();
        if (status >= 200 && status < 300) {
            return;
        }
        if (status == 404) {
            throw new HubException(HubException.Kind.NOT_FOUND, what + ": not found on " + settings.endpoint());
        }
        if (status == 401) {
            throw new HubException(HubException.Kind.UNAUTHORIZED, what + ": " + (settings.token().isPresent()
                    ? "the hub refused the token in " + settings.tokenSetting()
                    : "not found, or private/gated and needs a token: set " + settings.tokenSetting()));
        }
        if (status == 403) {
            throw new HubException(HubException.Kind.FORBIDDEN, what + ": " + (settings.token().isPresent()
                    ? "the token in " + settings.tokenSetting() + " may not read it (gated model: accept its terms)"
                    : "access denied; set a token in " + settings.tokenSetting()));
        }
        if (status == 429 || status >= 500) {
            throw new HubException(HubException.Kind.UNAVAILABLE,
                    what + ": " + settings.endpoint() + " answered " + status + ", try again later");
        }
        throw new HubException(HubException.Kind.BAD_RESPONSE, what + ": unexpected HTTP " + status);
    }

    private static boolean sameOrigin(URI a, URI b) {
        return Objects.equals(a.getScheme(), b.getScheme()) && Objects.equals(a.getHost(), b.getHost())
                && a.getPort() == b.getPort();
    }

    /**
     * Collects at most {@code cap} bytes, then cancels the rest of the body so that a server that ignores Range
     * (200 with the whole file) costs us only what we asked for.
     */
    private static final class CappedBody implements HttpResponse.BodySubscriber<Body> {
        private final int cap;
        private final CompletableFuture<Body> result = new CompletableFuture<>();
        private int filled;
        private Flow.Subscription subscription;

        CappedBody(int cap) {
            this.cap = cap;
            this.grown = new byte[Math.min(cap, 1 << 16)];
        }

        private byte[] grown;

        @Override
        public CompletionStage<Body> getBody() {
            return result;
        }

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            this.subscription = subscription;
            if (cap == 0) {
                subscription.cancel();
                result.complete(new Body(new byte[0], false));
                return;
            }
            subscription.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(List<ByteBuffer> items) {
            if (result.isDone()) {
                return;
            }
            for (ByteBuffer item : items) {
                int take = Math.min(item.remaining(), cap - filled);
                if (filled + take > grown.length) {
                    byte[] bigger = new byte[(int) Math.min(cap, Math.max((long) grown.length * 2, filled + take))];
                    System.arraycopy(grown, 0, bigger, 0, filled);
                    grown = bigger;
                }
                item.get(grown, filled, take);
                filled += take;
                if (filled == cap) {
                    subscription.cancel();
                    result.complete(new Body(java.util.Arrays.copyOf(grown, filled), false));
                    return;
                }
            }
        }

        @Override
        public void onError(Throwable error) {
            // A body cut short by the server: hand over what arrived, the caller sees it is short.
            if (error instanceof IOException) {
                result.complete(new Body(java.util.Arrays.copyOf(grown, filled), true));
            } else {
                result.completeExceptionally(error);
            }
        }

        @Override
        public void onComplete() {
            result.complete(new Body(java.util.Arrays.copyOf(grown, filled), false));
        }
    }
}
