package dev.gpufleet.worker.processes;

import org.jboss.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** What of the agent's environment reaches a process it starts: a table, then a real process's /proc/PID/environ. */
class ProcessEnvironmentTest {
    @TempDir
    Path dir;

    private final StepThread steps = new StepThread("env-steps", "env-kill", Logger.getLogger(getClass()),
            "test step failed");

    @AfterEach
    void stopSteps() {
        steps.shutdown();
    }

    @ParameterizedTest(name = "{0} passed: {1}")
    @CsvSource(delimiter = '|', value = {
            "PATH                           | true",
            "HOME                           | true",
            "LANG                           | true",
            "LC_ALL                         | true",
            "LD_LIBRARY_PATH                | true",
            "PYTHONPATH                     | true",
            "CUDA_HOME                      | true",
            "ASCEND_TOOLKIT_HOME            | true",
            "ATB_HOME_PATH                  | true",
            "NCCL_SOCKET_IFNAME             | true",
            "GPUFLEET_CLUSTER_TOKEN         | false",
            "GPUFLEET_SERVICE_TOKEN         | false",
            "GPUFLEET_WORKER_HUGGINGFACE_TOKEN | false",
            "GPUFLEET_WORKER_DATA_DIR       | false",
            "KAFKA_BOOTSTRAP_SERVERS        | false",
            "KAFKA_SASL_JAAS_CONFIG         | false",
            "QUARKUS_HTTP_PORT              | false",
            "HF_TOKEN                       | false",
            "HUGGING_FACE_HUB_TOKEN         | false",
            "MODELSCOPE_API_TOKEN           | false",
            "AWS_SECRET_ACCESS_KEY          | false",
            "OPENAI_API_KEY                 | false",
            "ASCEND_SECRET_KEY              | false",
            "PGPASSWORD                     | false",
            "CUDA_VISIBLE_DEVICES           | false",
            "LD_PRELOAD                     | false",
            "SSH_AUTH_SOCK                  | false",
            "http_proxy                     | false",
            "DISPLAY                        | false",
    })
    void onlyTheAllowedNamesPassFromTheAgent(String name, boolean passed) {
        assertEquals(passed, ProcessEnvironment.passed(name));
    }

    @Test
    void theLaunchsVariablesWinAndNothingElseOfTheAgentsIsKept() {
        Map<String, String> agent = new LinkedHashMap<>();
        agent.put("PATH", "/usr/bin:/bin");
        agent.put("CUDA_VISIBLE_DEVICES", "0,1,2,3");
        agent.put("GPUFLEET_CLUSTER_TOKEN", "service-token-0123456789abcdef0123");
        agent.put("HOME", "/home/agent");

        Map<String, String> environment = ProcessEnvironment.of(agent,
                Map.of("CUDA_VISIBLE_DEVICES", "1", "HF_HUB_OFFLINE", "1"));

        assertEquals(new TreeMap<>(Map.of("PATH", "/usr/bin:/bin", "HOME", "/home/agent",
                "CUDA_VISIBLE_DEVICES", "1", "HF_HUB_OFFLINE", "1")), environment);
    }

    @Test
    void aStartedProcessHoldsNoneOfTheAgentsCredentials() throws Exception {
        Map<String, String> agent = new LinkedHashMap<>(System.getenv());
        agent.put("GPUFLEET_CLUSTER_TOKEN", "service-token-aaaaaaaaaaaaaaaaaaaaaaaaaaaa");
        agent.put("KAFKA_SASL_JAAS_CONFIG", "org.apache.kafka.common.security.plain.PlainLoginModule required "
                + "username=\"agent\" password=\"kafka-password-bbbbbbbbbbbbbbbb\";");
        agent.put("GPUFLEET_WORKER_HUGGINGFACE_TOKEN", "hf_hub-token-cccccccccccccccccccccc");
        agent.put("HF_TOKEN", "hf_hub-token-cccccccccccccccccccccc");
        ProcessRunner runner = new ProcessRunner(steps, Clock.systemUTC(), Duration.ofSeconds(5), agent);

        Process process = runner.start(List.of("/bin/sh", "-c", "sleep 30"), Map.of("CUDA_VISIBLE_DEVICES", "0"),
                dir.resolve("p.log"));
        try {
            Map<String, String> environ = environ(process.pid());
            String raw = String.join("\n", environ.values());
            for (String secret : List.of("service-token-aaaa", "kafka-password-bbbb", "hf_hub-token-cccc")) {
                assertEquals(false, raw.contains(secret), secret + " reached the process: " + environ.keySet());
            }
            assertEquals("0", environ.get("CUDA_VISIBLE_DEVICES"));
            assertEquals(System.getenv("PATH"), environ.get("PATH"));
            assertEquals(List.of(), environ.keySet().stream()
                    .filter(name -> !ProcessEnvironment.passed(name) && !name.equals("CUDA_VISIBLE_DEVICES"))
                    .toList(), "only passed names and the launch's");
        } finally {
            process.destroyForcibly().waitFor();
        }
    }

    /** The environment the kernel holds for the process: what the process itself sees at start. */
    static Map<String, String> environ(long pid) throws Exception {
        byte[] bytes = Files.readAllBytes(Path.of("/proc", String.valueOf(pid), "environ"));
        Map<String, String> environment = new TreeMap<>();
        for (String entry : new String(bytes, StandardCharsets.UTF_8).split("\0")) {
            int equals = entry.indexOf('=');
            if (equals > 0) {
                environment.put(entry.substring(0, equals), entry.substring(equals + 1));
            }
        }
        return environment;
    }
}
