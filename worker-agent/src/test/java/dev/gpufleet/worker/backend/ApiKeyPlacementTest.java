package dev.gpufleet.worker.backend;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Where each backend gets the instance key: in its environment when it reads one from there (llama.cpp's
 * llama-server and the llamacpp-server fallback: {@code LLAMA_API_KEY}; vLLM: {@code VLLM_API_KEY}), else nowhere,
 * the backend listening on loopback behind the agent's authenticating proxy (llama-box, vox-box, MindIE, an unknown
 * command). Never on a command line.
 */
class ApiKeyPlacementTest {
    private static final String SECRET = "backend-key-secret-of-this-test-0123456789";
    private static final String KEY = dev.gpufleet.kit.auth.InstanceApiKeys.forInstance(SECRET, "i-1");
    private static final List<dev.gpufleet.events.GpuDevice> DEVICES = List.of(
            new dev.gpufleet.events.GpuDevice(0, "nvidia", "cuda", "NVIDIA L4", "uuid-0", 24L << 30, 0, 0.0),
            new dev.gpufleet.events.GpuDevice(1, "ascend", "npu", "Ascend 910B", "npu-0", 64L << 30, 0, 0.0));

    @ParameterizedTest(name = "{0} as {1}: key in env {2}, behind the proxy {3}")
    @CsvSource(delimiter = '|', value = {
            "llama-box | /usr/bin/llama-box                     | -             | true  | 0",
            "llama-box | /usr/bin/llama-server                  | LLAMA_API_KEY | false | 0",
            "llama-box | /usr/bin/java -jar /x/llamacpp-server.jar | LLAMA_API_KEY | false | 0",
            "llama-box | /work/bin/my-wrapper                   | -             | true  | 0",
            "vllm      | /usr/bin/vllm                          | VLLM_API_KEY  | false | 0",
            "vox-box   | /usr/bin/vox-box                       | -             | true  | 0",
            "mindie    | /usr/bin/mindieservice_daemon          | -             | true  | 1",
    })
    void theKeyIsNeverOnTheCommandLine(String backend, String command, String variable, boolean proxied, int gpu) {
        dev.gpufleet.events.LaunchPlan plan = new dev.gpufleet.events.LaunchPlan(backend, null,
                dev.gpufleet.events.ModelSource.localPath(backend.equals("llama-box") ? "/models/m.gguf" : "/models/m"),
                List.of(), Map.of(), List.of("llm"));
        dev.gpufleet.events.InstanceChanged instance = new dev.gpufleet.events.InstanceChanged("i-1", "m-1a2b", "m-1",
                "m", "w-1", "node-1", List.of(gpu), List.of(), new dev.gpufleet.events.ResourceClaim(1L << 30, Map.of()),
                dev.gpufleet.events.InstanceState.SCHEDULED, null, null, 0, plan);
        LaunchPlanner.Host host = new LaunchPlanner.Host(name -> new BinaryChoice(List.of(command.split(" ")), null),
                "10.0.0.5", DEVICES, path -> true, path -> true, path -> List.of(), path -> java.util.Optional.empty(),
                () -> java.util.OptionalInt.of(40007), null, SECRET, java.nio.file.Path.of("/data"),
                PortRange.parse(RpcServers.DEFAULT_RANGE), id -> java.util.Optional.empty(), c -> null, "linux",
                "amd64", RaySettings.LOCAL, MindieSettings.DEFAULT, () -> java.util.OptionalInt.of(51000));

        BackendLaunch launch = LaunchPlanner.plan(instance, host);

        assertEquals(null, launch.problem());
        assertEquals(40007, launch.port(), "the port the gateway is told");
        List<String> args = launch.command().args();
        org.junit.jupiter.api.Assertions.assertTrue(args.stream().noneMatch(a -> a.contains(KEY)), args.toString());
        org.junit.jupiter.api.Assertions.assertFalse(args.contains("--api-key"), args.toString());
        org.junit.jupiter.api.Assertions.assertTrue(launch.files().values().stream().noneMatch(f -> f.contains(KEY)));
        assertEquals(variable.equals("-") ? null : KEY, variable.equals("-") ? null : launch.environment().get(variable));
        org.junit.jupiter.api.Assertions.assertFalse(launch.environment().containsValue(KEY) && variable.equals("-"),
                launch.environment().keySet().toString());
        assertEquals(proxied, launch.proxied());
        String listen = proxied ? "127.0.0.1:51000" : "10.0.0.5:40007";
        if (backend.equals("mindie")) {
            String config = launch.files().values().iterator().next();
            org.junit.jupiter.api.Assertions.assertTrue(config.contains("\"ipAddress\" : \"127.0.0.1\"")
                    && config.contains("\"port\" : 51000"), config);
        } else {
            assertEquals(listen, args.get(args.indexOf("--host") + 1) + ":" + args.get(args.indexOf("--port") + 1));
        }
        assertEquals(proxied ? 51000 : 40007, launch.listenPort());
    }

    @ParameterizedTest(name = "{0}: environment {1}")
    @CsvSource(delimiter = '|', value = {
            "/usr/local/bin/llama-server                          | true",
            "llama-server                                         | true",
            "/opt/bin/llamacpp-server                             | true",
            "/usr/bin/java -jar /x/llamacpp-server.jar            | true",
            "java -Xmx1g -jar /x/llamacpp-server-0.1.0.jar        | true",
            "/usr/local/bin/llama-box                             | false",
            "/work/bin/my-wrapper --serve                         | false",
            "java -jar /x/other.jar                               | false",
    })
    void llamaServerAndLlamacppServerReadLlamaApiKey(String command, boolean fromEnvironment) {
        assertEquals(fromEnvironment, LaunchPlanner.readsKeyFromEnvironment(List.of(command.split(" "))));
    }

    @org.junit.jupiter.api.Test
    void theKeyJoinsTheEnvironmentAndNothingElseChanges() {
        BackendEnvironment environment = new BackendEnvironment(Map.of("CUDA_VISIBLE_DEVICES", "0"),
                List.of("a warning"), null);
        BackendEnvironment keyed = LaunchPlanner.withApiKey(environment, LaunchPlanner.LLAMA_API_KEY, "gpf-k");
        assertEquals(Map.of("CUDA_VISIBLE_DEVICES", "0", "LLAMA_API_KEY", "gpf-k"), keyed.variables());
        assertEquals(List.of("a warning"), keyed.warnings());
        assertEquals(environment, LaunchPlanner.withApiKey(environment, LaunchPlanner.LLAMA_API_KEY, null));
    }
}
