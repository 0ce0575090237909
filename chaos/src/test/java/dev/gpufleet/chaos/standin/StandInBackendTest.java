package dev.gpufleet.chaos.standin;

import dev.gpufleet.chaos.fleet.BackendProcess;
import dev.gpufleet.chaos.fleet.Backends;
import dev.gpufleet.chaos.fleet.Http;
import dev.gpufleet.chaos.fleet.LlamaBoxScript;
import dev.gpufleet.localstack.FreePorts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The suite's llama-box script runs the stand-in for a model that asks for it, with the agent's command line: it
 * answers health without a key and everything else only with the instance key, says who served each answer, serves
 * no more requests at once than its slots, and is found by the suite's process scan.
 */
class StandInBackendTest {
    @TempDir
    Path dir;

    private Process process;

    @AfterEach
    void stop() {
        if (process != null) {
            process.destroyForcibly();
        }
    }

    @Test
    void servesLikeLlamaBoxThroughTheSuitesScript() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path script = LlamaBoxScript.write(dir.resolve("bin"), java, dir.toString(), dir.resolve("absent.jar"));
        int port = FreePorts.pick();
        ProcessBuilder pb = new ProcessBuilder(script.toString(), "--host", "127.0.0.1", "--port",
                Integer.toString(port), "-m", "/models/x.gguf", "--alias", "standin", "-c", "8192", "-np", "1",
                "-ngl", "999", "--api-key", "instance-key")
                .redirectErrorStream(true).redirectOutput(dir.resolve("stand-in.log").toFile());
        pb.environment().put(LlamaBoxScript.BACKEND_ENV, LlamaBoxScript.STAND_IN);
        pb.environment().put(StandInBackend.SERVICE_MS_ENV, "300");
        process = pb.start();
        String url = "http://127.0.0.1:" + port;
        await().atMost(Duration.ofSeconds(30)).until(() -> Http.get(url + "/health", null, Duration.ofSeconds(2))
                .status() == 200);

        assertEquals(401, chat(url, "wrong-key").status());
        Http.Answer ok = chat(url, "instance-key");
        assertEquals(200, ok.status(), ok.describe());
        assertTrue(ok.body().contains("standin-127.0.0.1:" + port + "-"), ok.body());
        assertTrue(ok.json().path("usage").path("total_tokens").asInt() > 0, ok.body());

        // one slot: three at once take three service times
        long t0 = System.nanoTime();
        List<CompletableFuture<Http.Answer>> three = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            three.add(CompletableFuture.supplyAsync(() -> chat(url, "instance-key")));
        }
        three.forEach(f -> assertEquals(200, f.join().status()));
        long millis = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(millis >= 900, "three requests on one slot took " + millis + " ms");

        List<BackendProcess> found = Backends.scan(dir.toString());
        assertEquals(1, found.size(), found.toString());
        assertEquals("127.0.0.1:" + port, found.get(0).endpoint());
        assertEquals("standin", found.get(0).alias());
        assertEquals(process.pid(), found.get(0).pid(),
                "the script execs the stand-in: the agent's pid is the backend's");
    }

    @Test
    void refusesACommandLineLlamaBoxWouldRefuse() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path script = LlamaBoxScript.write(dir.resolve("bin"), java, dir.toString(), dir.resolve("absent.jar"));
        ProcessBuilder pb = new ProcessBuilder(script.toString(), "-m", "x", "--no-such-flag")
                .redirectErrorStream(true);
        pb.environment().put(LlamaBoxScript.BACKEND_ENV, LlamaBoxScript.STAND_IN);
        process = pb.start();
        String output = new String(process.getInputStream().readAllBytes());
        assertEquals(2, process.waitFor());
        assertTrue(output.contains("unknown argument: --no-such-flag"), output);
    }

    private static Http.Answer chat(String url, String key) {
        return Http.post(url + "/v1/chat/completions", key,
                "{\"model\":\"standin\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                Duration.ofSeconds(10));
    }
}
