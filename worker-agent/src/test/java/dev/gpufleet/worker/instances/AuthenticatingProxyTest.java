package dev.gpufleet.worker.instances;

import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.GpuDevice;
import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.InstanceObserved;
import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.LaunchPlan;
import dev.gpufleet.events.ModelSource;
import dev.gpufleet.kit.auth.InstanceApiKeys;
import dev.gpufleet.worker.backend.BinaryChoice;
import dev.gpufleet.worker.backend.MindieSettings;
import dev.gpufleet.worker.backend.RaySettings;
import dev.gpufleet.worker.testing.StandIns;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static dev.gpufleet.localstack.testing.TestClusterToken.TOKEN;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * vox-box and MindIE cannot check a key: their stand-ins, started by the supervisor, listen on loopback only and are
 * reached through the agent's authenticating proxy on the advertised address ({@code 127.0.0.2} here: a loopback
 * address of its own, so that "bound to 127.0.0.1 only" can be told from "bound to the advertised address").
 */
class AuthenticatingProxyTest {
    private static final String ADVERTISED = "127.0.0.2";
    /** The secret before a rotation: its keys are accepted too while it is configured as the previous one. */
    private static final String PREVIOUS = "previous-backend-key-secret-of-these-tests-0123456789";
    private static final List<GpuDevice> DEVICES = List.of(
            new GpuDevice(0, "nvidia", "cuda", "NVIDIA H100 80GB HBM3", "GPU-0", 80L << 30, 0, 0),
            new GpuDevice(1, "ascend", "npu", "Ascend 910B", "NPU-0", 64L << 30, 0, 0));

    @TempDir
    Path dir;

    private BackendSupervisor supervisor;
    private final List<InstanceObserved> sink = new CopyOnWriteArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @AfterEach
    void close() {
        if (supervisor != null) {
            supervisor.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"vox-box, vox-box, vox-box, 0", "ascend-mindie, mindieservice_daemon, mindie, 1"})
    void theBackendAnswersOnlyThroughTheProxyAndOnlyWithTheInstanceKey(String backend, String binaryName,
                                                                        String mode, int gpu) throws Exception {
        Path binary = StandIns.installEngine(dir.resolve("bin"), binaryName, mode);
        supervisor = new BackendSupervisor(new SupervisorSettings("w-me", Files.createDirectories(dir.resolve("data")),
                ADVERTISED, "26170-26179", () -> DEVICES, () -> new BinaryChoice(List.of(), "no llama-box"),
                Duration.ofSeconds(30), Duration.ofMillis(300), Duration.ofMillis(300), Duration.ofSeconds(3),
                name -> new BinaryChoice(List.of(binary.toString()), null), TOKEN, "26180-26189",
                SupervisorSettings.DEFAULT_ADOPTION_GRACE, RaySettings.LOCAL, MindieSettings.DEFAULT, PREVIOUS),
                sink::add, Clock.systemUTC());
        supervisor.start();
        Path model = Files.createDirectories(dir.resolve("model"));
        Path record = Files.createDirectories(dir.resolve("record"));
        LaunchPlan plan = new LaunchPlan(backend, null, ModelSource.localPath(model.toString()), List.of(),
                Map.of("GPUFLEET_TEST_RECORD", record.toString()), List.of("llm"));
        InstanceChanged instance = Instances.instance("p1", "p1-name", "qwen", "w-me", List.of(gpu),
                InstanceState.SCHEDULED, 0, plan);
        supervisor.accept(Envelope.of(instance, 1, Clock.systemUTC()));
        InstanceObserved running = await().atMost(Duration.ofSeconds(30)).until(() -> sink.stream()
                .filter(o -> o.state() == InstanceState.RUNNING).findFirst().orElse(null), o -> o != null);
        int port = running.port();
        int backendPort = backendPort(mode, record);
        String base = "http://" + ADVERTISED + ":" + port;

        HttpResponse<String> none = get(base + "/v1/models", null);
        assertEquals(401, none.statusCode());
        assertTrue(none.body().contains("\"code\":\"invalid_api_key\""), none.body());
        assertEquals(401, get(base + "/v1/models", "Bearer gpf-not-the-key").statusCode());
        assertEquals(401, get(base + "/v1/models", "Bearer " + InstanceApiKeys.forInstance(TOKEN, "other"))
                .statusCode(), "another instance's key");
        HttpResponse<String> keyed = get(base + "/v1/models", "Bearer " + InstanceApiKeys.forInstance(TOKEN, "p1"));
        assertEquals(200, keyed.statusCode());
        assertEquals("{\"object\":\"list\",\"data\":[]}", keyed.body());
        assertEquals(200, get(base + "/v1/models", "Bearer " + InstanceApiKeys.forInstance(PREVIOUS, "p1"))
                .statusCode(), "the key of the previous secret, during a rotation");

        // a stream arrives part by part: the stand-in writes the second only after the first was read here
        HttpResponse<Stream<String>> stream = http.send(HttpRequest.newBuilder(URI.create(base
                        + "/v1/chat/completions")).header("Authorization", "Bearer "
                        + InstanceApiKeys.forInstance(TOKEN, "p1"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"stream\":true}")).build(),
                HttpResponse.BodyHandlers.ofLines());
        assertEquals(200, stream.statusCode());
        assertEquals("text/event-stream", stream.headers().firstValue("Content-Type").orElse(null));
        Iterator<String> lines = stream.body().iterator();
        assertEquals("data: {\"part\":1}", lines.next());
        assertFalse(Files.exists(record.resolve("release-stream")));
        Files.createFile(record.resolve("release-stream"));
        List<String> rest = new ArrayList<>();
        lines.forEachRemaining(rest::add);
        assertEquals(List.of("", "data: {\"part\":2}", "", "data: [DONE]", ""), rest);

        assertEquals(Set.of("127.0.0.1"), listeners(backendPort), "the backend listens on loopback only");
        assertEquals(Set.of(ADVERTISED), listeners(port), "the proxy on the advertised address");
        assertThrows(ConnectException.class, () -> {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(ADVERTISED, backendPort), 2_000);
            }
        }, "the backend's port is not open on the advertised address");
    }

    private HttpResponse<String> get(String url, String authorization) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The port the stand-in was told to listen on: vox-box's {@code --port}, MindIE's config file. */
    private static int backendPort(String mode, Path record) throws IOException {
        if (mode.equals("vox-box")) {
            List<String> argv = Files.readAllLines(record.resolve("argv"));
            return Integer.parseInt(argv.get(argv.indexOf("--port") + 1));
        }
        Matcher port = Pattern.compile("\"port\" : (\\d+)").matcher(Files.readString(record.resolve("config.json")));
        assertTrue(port.find());
        return Integer.parseInt(port.group(1));
    }

    /**
     * The addresses with a listening TCP socket on {@code port}, from {@code /proc/net/tcp} and {@code tcp6} (an
     * IPv4-mapped IPv6 address as its IPv4 form; any other IPv6 address as {@code [hex]}).
     */
    static Set<String> listeners(int port) throws IOException {
        Set<String> addresses = new TreeSet<>();
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            for (String line : Files.readAllLines(Path.of(table))) {
                String[] fields = line.trim().split("\\s+");
                if (fields.length < 4 || !fields[3].equals("0A") || !fields[1].contains(":")) {
                    continue;
                }
                String[] local = fields[1].split(":");
                if (Integer.parseInt(local[1], 16) != port) {
                    continue;
                }
                String hex = local[0];
                if (hex.length() == 32 && hex.startsWith("0000000000000000FFFF0000")) {
                    hex = hex.substring(24);
                }
                if (hex.length() == 8) {
                    long a = Long.parseLong(hex, 16);
                    addresses.add((a & 0xff) + "." + ((a >> 8) & 0xff) + "." + ((a >> 16) & 0xff) + "."
                            + ((a >> 24) & 0xff));
                } else {
                    addresses.add("[" + hex + "]");
                }
            }
        }
        return addresses;
    }
}
