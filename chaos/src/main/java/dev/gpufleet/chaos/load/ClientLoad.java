package dev.gpufleet.chaos.load;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A steady open-loop client load through the gateways: each model gets requests at its own rate whatever the answers
 * do (so a slow fleet meets the same demand), spread over the gateways a load balancer has in {@link Rotation}
 * (probed like a Kubernetes Service probes readiness). Every request is recorded. In
 * {@link Mode#RETRY_ON_OTHER_GATEWAY} a request that got no answer or a 502/503/504 is sent once more, to the other
 * gateway.
 */
public final class ClientLoad implements AutoCloseable {
    public enum Mode { PLAIN, RETRY_ON_OTHER_GATEWAY }

    /** How the load balancer probes: every period, each probe waiting at most timeout. */
    public record Probing(Duration period, Duration timeout, int failureThreshold) {
    }

    private static final Pattern SERVED_BY = Pattern.compile("standin-([^\"]+:\\d+)-\\d+");
    private static final long TICK_MILLIS = 10;

    private final List<String> gateways;
    private final Duration requestTimeout;
    private final Semaphore outstanding;
    private final int maxOutstanding;
    private final Probing probing;
    private final Rotation rotation;
    private final HttpClient http;
    private final HttpClient probeHttp;
    private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "load"));
    private final ScheduledExecutorService probes;
    private final Map<String, Stream> streams = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<RequestRecord> records = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<String> rotationChanges = new ConcurrentLinkedQueue<>();
    private final AtomicLong sequence = new AtomicLong();
    /** Requests without their answer yet: sequence number → when sent. */
    private final Map<Long, Long> inFlight = new ConcurrentHashMap<>();
    private volatile String key;
    private volatile Mode mode = Mode.PLAIN;
    private volatile long lastTick = System.nanoTime();

    private static final class Stream {
        final String model;
        volatile double perSecond;
        double due;

        Stream(String model, double perSecond) {
            this.model = model;
            this.perSecond = perSecond;
        }
    }

    public ClientLoad(List<String> gateways, String key, Duration requestTimeout, int maxOutstanding, Probing probing) {
        this.gateways = List.copyOf(gateways);
        this.key = key;
        this.requestTimeout = requestTimeout;
        this.maxOutstanding = maxOutstanding;
        this.outstanding = new Semaphore(maxOutstanding);
        this.probing = probing;
        this.rotation = new Rotation(gateways.size(), probing.failureThreshold());
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(3)).build();
        this.probeHttp = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(3)).build();
        this.probes = Executors.newScheduledThreadPool(gateways.size(), r -> daemon(r, "load-probe"));
    }

    public void start() {
        lastTick = System.nanoTime();
        ticker.scheduleAtFixedRate(this::tick, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
        for (int g = 0; g < gateways.size(); g++) {
            int gateway = g;
            probes.scheduleWithFixedDelay(() -> probe(gateway), 0, probing.period().toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** Requests per second for the model (0 stops its stream). */
    public void rate(String model, double perSecond) {
        streams.computeIfAbsent(model, m -> new Stream(m, perSecond)).perSecond = perSecond;
    }

    public double rate(String model) {
        Stream s = streams.get(model);
        return s == null ? 0 : s.perSecond;
    }

    public void key(String apiKey) {
        this.key = apiKey;
    }

    public void mode(Mode newMode) {
        this.mode = newMode;
    }

    public Rotation rotation() {
        return rotation;
    }

    /** "gateway 1 left rotation at ...", in order. */
    public List<String> rotationChanges() {
        return new ArrayList<>(rotationChanges);
    }

    public List<RequestRecord> records() {
        return new ArrayList<>(records);
    }

    /** Requests sent in [from, to) (epoch ms). */
    public List<RequestRecord> sentBetween(long fromMillis, long toMillis) {
        return records.stream().filter(r -> r.startMillis() >= fromMillis && r.startMillis() < toMillis).toList();
    }

    /** Waits until every request sent so far has its answer (or its timeout; a retry may double that). */
    public void awaitAnswers() {
        long cutoff = System.currentTimeMillis();
        long deadline = System.nanoTime() + requestTimeout.toNanos() * 2 + TimeUnit.SECONDS.toNanos(5);
        while (inFlight.values().stream().anyMatch(sent -> sent <= cutoff) && System.nanoTime() < deadline) {
            sleep(50);
        }
    }

    public int outstanding() {
        return maxOutstanding - outstanding.availablePermits();
    }

    private void tick() {
        long now = System.nanoTime();
        double seconds = (now - lastTick) / 1e9;
        lastTick = now;
        for (Stream s : streams.values()) {
            s.due += s.perSecond * seconds;
            while (s.due >= 1) {
                s.due -= 1;
                send(s.model);
            }
        }
    }

    private void send(String model) {
        long start = System.currentTimeMillis();
        long t0 = System.nanoTime();
        String apiKey = key;
        List<Integer> members = rotation.members();
        if (members.isEmpty()) {
            records.add(new RequestRecord(start, 0, model, apiKey, -1, RequestRecord.NOT_SENT,
                    "no gateway in rotation", null, false, false));
            return;
        }
        if (!outstanding.tryAcquire()) {
            records.add(new RequestRecord(start, 0, model, apiKey, -1, RequestRecord.NOT_SENT,
                    maxOutstanding + " requests outstanding", null, false, false));
            return;
        }
        long n = sequence.incrementAndGet();
        inFlight.put(n, start);
        int gateway = members.get((int) (n % members.size()));
        String body = "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"request " + n
                + "\"}],\"max_tokens\":4}";
        Mode m = mode;
        attempt(gateway, body, apiKey).thenCompose(first -> {
            if (m == Mode.RETRY_ON_OTHER_GATEWAY && retryable(first) && gateways.size() > 1) {
                int other = otherGateway(gateway);
                return attempt(other, body, apiKey).thenApply(second -> second.retried(true));
            }
            return CompletableFuture.completedFuture(first);
        }).whenComplete((outcome, error) -> {
            long latency = (System.nanoTime() - t0) / 1_000_000;
            if (error != null) {
                records.add(new RequestRecord(start, latency, model, apiKey, gateway, RequestRecord.NO_ANSWER,
                        error.toString(), null, false, false));
            } else {
                records.add(new RequestRecord(start, latency, model, apiKey, outcome.gateway, outcome.status,
                        outcome.error, outcome.servedBy, outcome.retryAfter, outcome.retried));
            }
            inFlight.remove(n);
            outstanding.release();
        });
    }

    private int otherGateway(int failed) {
        List<Integer> members = rotation.members();
        for (int g : members) {
            if (g != failed) {
                return g;
            }
        }
        return (failed + 1) % gateways.size();
    }

    private static boolean retryable(Attempt a) {
        return a.status == RequestRecord.NO_ANSWER || a.status == 502 || a.status == 503 || a.status == 504;
    }

    private static final class Attempt {
        final int gateway;
        final int status;
        final String error;
        final String servedBy;
        final boolean retryAfter;
        boolean retried;

        Attempt(int gateway, int status, String error, String servedBy, boolean retryAfter) {
            this.gateway = gateway;
            this.status = status;
            this.error = error;
            this.servedBy = servedBy;
            this.retryAfter = retryAfter;
        }

        Attempt retried(boolean r) {
            this.retried = r;
            return this;
        }
    }

    private CompletableFuture<Attempt> attempt(int gateway, String body, String apiKey) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(gateways.get(gateway) + "/v1/chat/completions"))
                .timeout(requestTimeout)
                .header("Authorization", "Bearer " + apiKey)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofString())
                .handle((response, error) -> {
                    if (error != null) {
                        Throwable cause = error instanceof java.util.concurrent.CompletionException
                                && error.getCause() != null ? error.getCause() : error;
                        String why = cause instanceof HttpTimeoutException ? "timed out after "
                                + requestTimeout.toSeconds() + " s" : cause.getClass().getSimpleName()
                                + (cause.getMessage() == null ? "" : ": " + cause.getMessage());
                        return new Attempt(gateway, RequestRecord.NO_ANSWER, why, null, false);
                    }
                    String servedBy = null;
                    Matcher matcher = SERVED_BY.matcher(response.body() == null ? "" : response.body());
                    if (matcher.find()) {
                        servedBy = matcher.group(1);
                    }
                    String error2 = response.statusCode() == 200 ? null : abbreviate(response.body());
                    return new Attempt(gateway, response.statusCode(), error2, servedBy,
                            response.headers().firstValue("Retry-After").isPresent());
                });
    }

    private void probe(int gateway) {
        boolean ready;
        try {
            HttpRequest request = HttpRequest.newBuilder(URI.create(gateways.get(gateway) + "/q/health/ready"))
                    .timeout(probing.timeout()).GET().build();
            ready = probeHttp.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            ready = false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        boolean before = rotation.inRotation(gateway);
        rotation.probed(gateway, ready);
        boolean after = rotation.inRotation(gateway);
        if (before != after) {
            rotationChanges.add("gateway " + gateway + (after ? " back in rotation" : " out of rotation") + " at "
                    + java.time.Instant.now());
        }
    }

    @Override
    public void close() {
        ticker.shutdownNow();
        probes.shutdownNow();
    }

    private static String abbreviate(String s) {
        if (s == null) {
            return "";
        }
        String one = s.replace('\n', ' ');
        return one.length() <= 160 ? one : one.substring(0, 157) + "...";
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
