package dev.gpufleet.bench;

import dev.gpufleet.localstack.launcher.LocalStack;

import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * What the worker agent's authenticating proxy (worker-agent {@code proxy.BackendProxies}, in front of vox-box and
 * MindIE) adds to a request. The bench's {@link FakeOpenAiBackend} runs in its own JVM; the proxy in another
 * ({@link BackendProxyProcess}, with the agent's JVM options, {@code LocalStack.WORKER_AGENT_JAVA_OPTIONS}); this JVM
 * sends the same ~1 KB chat request over one keep-alive connection to each, one request at a time, alternating
 * direct and proxied so that both see the same noise. Then streams (100 SSE chunks, one a millisecond): time to the
 * first chunk and to the end (after 100 of them to warm up). Prints a table of percentiles and what the proxy adds
 * at each.
 *
 * <p>Args: [REQUESTS (20000)] [STREAMS (300)] [WARMUP (5000)]
 */
public final class BackendProxyBench {
    private static final String KEY = "gpf-" + "0123456789abcdef".repeat(4);

    private BackendProxyBench() {
    }

    public static void main(String[] args) throws Exception {
        int requests = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        int streams = args.length > 1 ? Integer.parseInt(args[1]) : 300;
        int warmup = args.length > 2 ? Integer.parseInt(args[2]) : 5_000;
        System.out.printf("bench backend-proxy: %d requests, %d streams, %d warm-up; %d CPUs, JDK %s; "
                        + "load average %s%n", requests, streams, warmup, Runtime.getRuntime().availableProcessors(),
                Runtime.version(), loadAverage());
        int backendPort = freePort();
        int proxyPort = freePort();
        Process backend = GatewayBench.startBackend(backendPort, null);
        Process proxy = startProxy(proxyPort, backendPort);
        try (Client direct = new Client(backendPort, null); Client proxied = new Client(proxyPort, KEY)) {
            byte[] plain = requestBody(false);
            byte[] stream = requestBody(true);
            require(proxied.unauthorised(plain) == 401, "the proxy let a request without the key through");
            for (int i = 0; i < warmup; i++) {
                direct.call(plain, false);
                proxied.call(plain, false);
            }
            long[] d = new long[requests];
            long[] p = new long[requests];
            for (int i = 0; i < requests; i++) {
                if (i % 2 == 0) {
                    d[i] = direct.call(plain, false)[1];
                    p[i] = proxied.call(plain, false)[1];
                } else {
                    p[i] = proxied.call(plain, false)[1];
                    d[i] = direct.call(plain, false)[1];
                }
            }
            for (int i = 0; i < Math.min(100, streams); i++) {
                direct.call(stream, true);
                proxied.call(stream, true);
            }
            long[] dFirst = new long[streams];
            long[] dAll = new long[streams];
            long[] pFirst = new long[streams];
            long[] pAll = new long[streams];
            for (int i = 0; i < streams; i++) {
                long[] a = direct.call(stream, true);
                long[] b = proxied.call(stream, true);
                dFirst[i] = a[0];
                dAll[i] = a[1];
                pFirst[i] = b[0];
                pAll[i] = b[1];
            }
            System.out.printf("%nload average after: %s%n%n", loadAverage());
            System.out.println("| request | path | n | p50 ms | p90 ms | p99 ms | p99.9 ms |");
            System.out.println("|---|---|---|---|---|---|---|");
            row("chat, 1 KB in / 1 KB out", "direct", d);
            row("", "through the proxy", p);
            added("", d, p);
            row("stream, first chunk", "direct", dFirst);
            row("", "through the proxy", pFirst);
            added("", dFirst, pFirst);
            row("stream, 100 chunks to the end", "direct", dAll);
            row("", "through the proxy", pAll);
            added("", dAll, pAll);
            Arrays.sort(d);
            Arrays.sort(p);
            double addedP50 = ms(GatewayBench.pct(p, 50) - GatewayBench.pct(d, 50));
            System.out.printf("%ngoal: at most 0.2 ms added at p50: %+.3f ms, %s%n", addedP50,
                    addedP50 <= 0.2 ? "met" : "NOT met");
        } finally {
            proxy.destroy();
            backend.destroy();
        }
    }

    private static void row(String request, String path, long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        System.out.printf(Locale.ROOT, "| %s | %s | %d | %.3f | %.3f | %.3f | %.3f |%n", request, path, sorted.length,
                ms(GatewayBench.pct(sorted, 50)), ms(GatewayBench.pct(sorted, 90)), ms(GatewayBench.pct(sorted, 99)),
                ms(GatewayBench.pct(sorted, 99.9)));
    }

    private static void added(String request, long[] direct, long[] proxied) {
        long[] d = direct.clone();
        long[] p = proxied.clone();
        Arrays.sort(d);
        Arrays.sort(p);
        System.out.printf(Locale.ROOT, "| %s | **added** | | %+.3f | %+.3f | %+.3f | %+.3f |%n", request,
                ms(GatewayBench.pct(p, 50) - GatewayBench.pct(d, 50)),
                ms(GatewayBench.pct(p, 90) - GatewayBench.pct(d, 90)),
                ms(GatewayBench.pct(p, 99) - GatewayBench.pct(d, 99)),
                ms(GatewayBench.pct(p, 99.9) - GatewayBench.pct(d, 99.9)));
    }

    private static Process startProxy(int port, int backendPort) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java));
        command.addAll(LocalStack.workerAgentJavaOptions(Runtime.version()));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), BackendProxyProcess.class.getName(),
                String.valueOf(port), String.valueOf(backendPort), KEY));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        if (line == null || !line.startsWith("listening")) {
            p.destroyForcibly();
            throw new IllegalStateException("the proxy did not start: " + line);
        }
        Thread drain = new Thread(() -> out.lines().forEach(l -> System.err.println("proxy: " + l)));
        drain.setDaemon(true);
        drain.start();
        return p;
    }

    /** One keep-alive HTTP/1.1 connection, one request at a time. */
    private static final class Client implements AutoCloseable {
        private final Socket socket;
        private final OutputStream out;
        private final InputStream in;
        private final String key;

        Client(int port, String key) throws IOException {
            this.socket = new Socket(InetAddress.getLoopbackAddress(), port);
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(30_000);
            this.out = socket.getOutputStream();
            this.in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
            this.key = key;
        }

        int unauthorised(byte[] body) throws IOException {
            send(body, null);
            return readAnswer(false)[2] < 0 ? -1 : lastStatus;
        }

        /** @return nanoseconds to the first body byte, to the end */
        long[] call(byte[] body, boolean stream) throws IOException {
            long start = System.nanoTime();
            send(body, key);
            long[] times = readAnswer(stream);
            require(lastStatus == 200, "answer " + lastStatus);
            return new long[]{times[0] - start, times[1] - start};
        }

        private int lastStatus;

        private void send(byte[] body, String authorization) throws IOException {
            String head = "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + (authorization == null ? "" : "Authorization: Bearer " + authorization + "\r\n")
                    + "Content-Length: " + body.length + "\r\n\r\n";
            byte[] headBytes = head.getBytes(StandardCharsets.US_ASCII);
            byte[] all = Arrays.copyOf(headBytes, headBytes.length + body.length);
            System.arraycopy(body, 0, all, headBytes.length, body.length);
            out.write(all);
            out.flush();
        }

        /** Reads one answer: {first body byte, end, status}. */
        private long[] readAnswer(boolean expectChunks) throws IOException {
            String status = line();
            lastStatus = Integer.parseInt(status.split(" ")[1]);
            long length = -1;
            boolean chunked = false;
            for (String header = line(); !header.isEmpty(); header = line()) {
                String lower = header.toLowerCase(Locale.ROOT);
                if (lower.startsWith("content-length:")) {
                    length = Long.parseLong(lower.substring(15).trim());
                } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                    chunked = true;
                }
            }
            long first = 0;
            if (chunked) {
                while (true) {
                    long size = Long.parseLong(line().split(";")[0].trim(), 16);
                    if (first == 0) {
                        first = System.nanoTime();
                    }
                    skip(size);
                    line();
                    if (size == 0) {
                        break;
                    }
                }
            } else {
                require(!expectChunks || length < 0, "a stream came with a Content-Length");
                if (length > 0) {
                    int b = in.read();
                    require(b >= 0, "the connection closed");
                    first = System.nanoTime();
                    skip(length - 1);
                } else {
                    first = System.nanoTime();
                }
            }
            return new long[]{first, System.nanoTime(), lastStatus};
        }

        private void skip(long n) throws IOException {
            while (n > 0) {
                long skipped = in.skip(n);
                if (skipped <= 0) {
                    require(in.read() >= 0, "the connection closed");
                    skipped = 1;
                }
                n -= skipped;
            }
        }

        private String line() throws IOException {
            StringBuilder line = new StringBuilder();
            for (int b = in.read(); b != '\n'; b = in.read()) {
                require(b >= 0, "the connection closed");
                if (b != '\r') {
                    line.append((char) b);
                }
            }
            return line.toString();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    private static byte[] requestBody(boolean stream) {
        String prompt = "Summarise the following text in one sentence. " + "lorem ipsum dolor sit amet ".repeat(33);
        return ("{\"model\":\"bench-model\",\"messages\":[{\"role\":\"system\",\"content\":\"You are terse.\"},"
                + "{\"role\":\"user\",\"content\":\"" + prompt + "\"}],\"max_tokens\":180,\"temperature\":0"
                + (stream ? ",\"stream\":true" : "") + "}").getBytes(StandardCharsets.UTF_8);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static String loadAverage() throws IOException {
        return String.join(" ", Arrays.copyOf(Files.readString(Path.of("/proc/loadavg")).trim().split(" "), 3));
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalStateException(message);
        }
    }
}
