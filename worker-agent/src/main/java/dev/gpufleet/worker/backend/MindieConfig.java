package dev.gpufleet.worker.backend;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What MindIE's daemon ({@code mindieservice_daemon}) reads: the service's {@code config.json} (Version,
 * LogConfig, ServerConfig, BackendConfig with ModelDeployConfig and ScheduleConfig, the layout of MindIE Service
 * 2.0's own file), its environment, and for multi-node the HCCL rank table. Built from the user's backend
 * parameters, which the registry validated against the seed's table (ranges, powers of two, exclusions): here the
 * last occurrence of a flag wins, {@code --no-<flag>} turns a switch off, and every unset parameter takes the
 * seed's default. The daemon has no command-line flags, so anything else is ignored with a warning.
 * {@code --rope-scaling}, {@code --rope-theta}, {@code --dtype} and {@code --override-generation-config} change the
 * model's own files instead ({@link MindieModelOverrides}).
 */
public final class MindieConfig {
    public static final String CONFIG_ENV = "MIES_CONFIG_JSON_PATH";
    public static final int DEFAULT_MAX_SEQ_LEN = 8192;
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    /** Parameters that take a value, with the seed's default (null: none). Short aliases map to their long name. */
    static final Map<String, String> VALUED = new LinkedHashMap<>();
    static final Set<String> SWITCHES = Set.of("--truncation", "--trust-remote-code", "--support-select-batch",
            "--enforce-eager", "--metrics", "--enable-split", "--enable-memory-decoding",
            "--memory-decoding-dynamic-algo", "--enable-lookahead", "--enable-multi-token-prediction",
            "--enable-prefix-caching", "--enable-buffer-response");
    static final Map<String, String> ALIASES = Map.of("-pp", "--pipeline-parallel-size", "-dp",
            "--data-parallel-size", "-tp", "--tensor-parallel-size", "-sp", "--sequence-parallel-size", "-moe-ep",
            "--moe-expert-parallel-size", "-moe-tp", "--moe-tensor-parallel-size");

    static {
        String[][] table = {
                {"--log-level", "Info"}, {"--max-link-num", "1000"}, {"--token-timeout", "60"},
                {"--e2e-timeout", "60"}, {"--max-seq-len", null}, {"--max-input-token-len", null},
                {"--cpu-mem-size", "0"}, {"--npu-memory-fraction", "0.9"}, {"--cache-block-size", "128"},
                {"--max-prefill-batch-size", "50"}, {"--prefill-time-ms-per-req", "150"},
                {"--prefill-policy-type", "0"}, {"--max-batch-size", "200"}, {"--decode-time-ms-per-req", "50"},
                {"--decode-policy-type", "0"}, {"--max-preempt-count", "0"},
                {"--max-queue-delay-microseconds", "5000"}, {"--override-generation-config", null},
                {"--dtype", "auto"}, {"--rope-scaling", null}, {"--rope-theta", null}, {"--policy-type", "0"},
                {"--split-chunk-tokens", "512"}, {"--split-start-batch-size", "16"},
                {"--memory-decoding-length", "16"}, {"--lookahead-level", "4"}, {"--lookahead-window", "5"},
                {"--lookahead-guess-set-size", "5"}, {"--multi-token-prediction-tokens", "1"},
                {"--pipeline-parallel-size", "1"}, {"--data-parallel-size", "-1"},
                {"--tensor-parallel-size", "-1"}, {"--sequence-parallel-size", "-1"},
                {"--moe-expert-parallel-size", "-1"}, {"--moe-tensor-parallel-size", "-1"},
                {"--prefill-expected-time-ms", null}, {"--decode-expected-time-ms", null}};
        for (String[] row : table) {
            VALUED.put(row[0], row[1]);
        }
    }

    /** Set by the agent whatever the user's env says (GPUStack's fixed MindIE environment). */
    static final Map<String, String> FIXED_ENV = Map.of("MIES_RECOMPUTE_THRESHOLD", "0.5",
            "MINDIE_LLM_RECOMPUTE_THRESHOLD", "0.5", "MINDIE_LLM_CONTINUOUS_BATCHING", "1",
            "MINDIE_CHECK_INPUTFILES_PERMISSION", "0", "MINDIE_LLM_FRAMEWORK_BACKEND", "ATB");
    /** Defaults the user's env may change. */
    static final Map<String, String> DEFAULT_ENV = Map.of("OMP_NUM_THREADS", "1", "TASK_QUEUE_ENABLE", "2",
            "ATB_LAYER_INTERNAL_TENSOR_REUSE", "1", "INF_NAN_MODE_ENABLE", "0", "ATB_LLM_ENABLE_AUTO_TRANSPOSE", "0",
            "ATB_CONVERT_NCHW_TO_ND", "1", "ATB_WORKSPACE_MEM_ALLOC_ALG_TYPE", "3",
            "ATB_WORKSPACE_MEM_ALLOC_GLOBAL", "1", "PYTORCH_NPU_ALLOC_CONF", "expandable_segments:True");
    /** MindIE picks devices through npuDeviceIds and ranks through the rank table: these would contradict them. */
    static final Set<String> BLOCKED_ENV = Set.of("NPU_VISIBLE_DEVICES", "NPU-VISIBLE-DEVICES", "NPU_DEVICE_IDS",
            "ASCEND_RT_VISIBLE_DEVICES", "MIES_CONTAINER_MANAGEMENT_IP", "WORLD_SIZE", "RANKTABLEFILE",
            "RANK_TABLE_FILE", "MIES_CONTAINER_IP", "HOST_IP");

    private MindieConfig() {
    }

    /**
     * @param npuDeviceIds      the NPUs of this worker, as the Ascend runtime numbers them
     * @param modelMaxLength    what the model's config allows (see {@link ModelMaxLength}); null when unknown
     * @param multiNodesInferPort the second port for multi-node inference; null on one node
     * @param worldSize         NPUs over all nodes
     * @param configPath        where the config file will be written (goes into {@code MIES_CONFIG_JSON_PATH})
     * @param rankTablePath     where the rank table will be written; null on one node
     */
    public record Inputs(String modelName, String modelWeightPath, String host, int port, List<Integer> npuDeviceIds,
                         int worldSize, Integer modelMaxLength, Integer multiNodesInferPort, String nodeIp,
                         String configPath, String rankTablePath, Map<String, String> userEnv,
                         List<String> backendParameters) {
        public Inputs {
            npuDeviceIds = List.copyOf(npuDeviceIds);
            userEnv = userEnv == null ? Map.of() : userEnv;
            backendParameters = backendParameters == null ? List.of() : List.copyOf(backendParameters);
        }
    }

    /** The config file's text, the environment to run the daemon in, and what was ignored or overridden. */
    public record Result(String configJson, Map<String, String> environment, List<String> warnings) {
    }

    public static Result build(Inputs in) {
        List<String> warnings = new ArrayList<>();
        Map<String, String> v = effective(in.backendParameters(), warnings);
        Map<String, Boolean> on = switches(in.backendParameters());

        int maxSeqLen = v.get("--max-seq-len") != null ? Integer.parseInt(v.get("--max-seq-len"))
                : Math.min(in.modelMaxLength() == null ? DEFAULT_MAX_SEQ_LEN : in.modelMaxLength(),
                DEFAULT_MAX_SEQ_LEN);
        int maxInputTokenLen = v.get("--max-input-token-len") != null
                ? Integer.parseInt(v.get("--max-input-token-len")) : maxSeqLen;

        ObjectNode root = NODES.objectNode();
        root.put("Version", "1.0.0");
        ObjectNode log = root.putObject("LogConfig");
        log.put("logLevel", v.get("--log-level"));
        log.put("logFileSize", 20);
        log.put("logFileNum", 20);
        log.put("logPath", "logs/mindie-server.log");

        ObjectNode server = root.putObject("ServerConfig");
        server.put("ipAddress", in.host());
        server.put("managementIpAddress", in.host());
        server.put("port", in.port());
        server.put("managementPort", in.port());
        server.put("metricsPort", in.port());
        server.put("allowAllZeroIpListening", "0.0.0.0".equals(in.host()));
        server.put("maxLinkNum", integer(v, "--max-link-num"));
        server.put("httpsEnabled", false);
        server.put("interCommTLSEnabled", false);
        server.put("tokenTimeout", integer(v, "--token-timeout"));
        server.put("e2eTimeout", integer(v, "--e2e-timeout"));

        ObjectNode backend = root.putObject("BackendConfig");
        backend.put("backendName", "mindieservice_llm_engine");
        backend.put("modelInstanceNumber", 1);
        ArrayNode devices = backend.putArray("npuDeviceIds").addArray();
        in.npuDeviceIds().forEach(devices::add);
        backend.put("tokenizerProcessNumber", 8);
        backend.put("multiNodesInferEnabled", in.multiNodesInferPort() != null);
        if (in.multiNodesInferPort() != null) {
            backend.put("multiNodesInferPort", in.multiNodesInferPort());
        }
        backend.put("interNodeTLSEnabled", false);

        ObjectNode deploy = backend.putObject("ModelDeployConfig");
        deploy.put("maxSeqLen", maxSeqLen);
        deploy.put("maxInputTokenLen", maxInputTokenLen);
        deploy.put("truncation", on.getOrDefault("--truncation", false));
        ObjectNode model = deploy.putArray("ModelConfig").addObject();
        model.put("modelInstanceType", "Standard");
        model.put("modelName", in.modelName());
        model.put("modelWeightPath", in.modelWeightPath());
        model.put("worldSize", in.npuDeviceIds().size());
        model.put("cpuMemSize", integer(v, "--cpu-mem-size"));
        model.put("npuMemSize", -1);
        model.put("backendType", "atb");
        model.put("trustRemoteCode", on.getOrDefault("--trust-remote-code", false));
        parallelism(v, model);

        ObjectNode schedule = backend.putObject("ScheduleConfig");
        schedule.put("templateType", "Standard");
        schedule.put("templateName", "Standard_LLM");
        schedule.put("cacheBlockSize", integer(v, "--cache-block-size"));
        schedule.put("maxPrefillBatchSize", integer(v, "--max-prefill-batch-size"));
        schedule.put("maxPrefillTokens", maxSeqLen);
        schedule.put("prefillTimeMsPerReq", integer(v, "--prefill-time-ms-per-req"));
        schedule.put("prefillPolicyType", integer(v, "--prefill-policy-type"));
        schedule.put("decodeTimeMsPerReq", integer(v, "--decode-time-ms-per-req"));
        schedule.put("decodePolicyType", integer(v, "--decode-policy-type"));
        schedule.put("maxBatchSize", integer(v, "--max-batch-size"));
        schedule.put("maxIterTimes", maxSeqLen);
        schedule.put("maxPreemptCount", integer(v, "--max-preempt-count"));
        schedule.put("supportSelectBatch", on.getOrDefault("--support-select-batch", false));
        schedule.put("maxQueueDelayMicroseconds", integer(v, "--max-queue-delay-microseconds"));
        features(v, on, model, deploy, schedule);
        if (on.getOrDefault("--enable-buffer-response", false)) {
            schedule.put("bufferResponseEnabled", true);
            if (v.get("--prefill-expected-time-ms") != null) {
                schedule.put("prefillExpectedTime", integer(v, "--prefill-expected-time-ms"));
            }
            if (v.get("--decode-expected-time-ms") != null) {
                schedule.put("decodeExpectedTime", integer(v, "--decode-expected-time-ms"));
            }
        }

        Map<String, String> env = environment(in, v, on, warnings);
        try {
            return new Result(JSON.writeValueAsString(root) + "\n", env, warnings);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a tree of plain values always serialises", e);
        }
    }

    /** Values after the user's parameters: last occurrence wins, defaults fill the rest. */
    static Map<String, String> effective(List<String> parameters, List<String> warnings) {
        Map<String, String> values = new LinkedHashMap<>(VALUED);
        for (UserParameters.Parameter p : UserParameters.parse(parameters)) {
            String flag = p.flag() == null ? null : ALIASES.getOrDefault(p.flag(), p.flag());
            if (flag == null) {
                warnings.add("backend parameter value '" + p.value() + "' was ignored: it follows no MindIE flag");
            } else if (VALUED.containsKey(flag) && p.value() != null) {
                values.put(flag, p.value());
            } else if (!SWITCHES.contains(flag) && !(flag.startsWith("--no-")
                    && SWITCHES.contains("--" + flag.substring(5)))) {
                warnings.add("backend parameter " + p.flag() + " was ignored: it is not a MindIE parameter");
            }
        }
        return values;
    }

    /** Switches the user turned on or off ({@code --no-x}); a switch followed by a word counts as on. */
    static Map<String, Boolean> switches(List<String> parameters) {
        Map<String, Boolean> on = new TreeMap<>();
        for (UserParameters.Parameter p : UserParameters.parse(parameters)) {
            if (p.flag() == null) {
                continue;
            }
            if (SWITCHES.contains(p.flag())) {
                on.put(p.flag(), p.value() == null || !p.value().equalsIgnoreCase("false"));
            } else if (p.flag().startsWith("--no-") && SWITCHES.contains("--" + p.flag().substring(5))) {
                on.put("--" + p.flag().substring(5), false);
            }
        }
        return on;
    }

    private static void parallelism(Map<String, String> v, ObjectNode model) {
        String[][] keys = {{"--pipeline-parallel-size", "pp", "1"}, {"--tensor-parallel-size", "tp", "-1"},
                {"--data-parallel-size", "dp", "-1"}, {"--sequence-parallel-size", "sp", "-1"},
                {"--moe-expert-parallel-size", "moe_ep", "-1"}, {"--moe-tensor-parallel-size", "moe_tp", "-1"}};
        for (String[] key : keys) {
            if (!key[2].equals(v.get(key[0]))) {
                model.put(key[1], integer(v, key[0]));
            }
        }
    }

    private static void features(Map<String, String> v, Map<String, Boolean> on, ObjectNode model,
                                 ObjectNode deploy, ObjectNode schedule) {
        List<String> plugins = new ArrayList<>();
        ObjectNode pluginParams = NODES.objectNode();
        if (on.getOrDefault("--enable-split", false)) {
            schedule.put("templateType", "Mix");
            schedule.put("enableSplit", true);
            schedule.put("policyType", integer(v, "--policy-type"));
            schedule.put("splitType", false);
            schedule.put("splitStartType", false);
            schedule.put("splitChunkTokens", integer(v, "--split-chunk-tokens"));
            schedule.put("splitStartBatchSize", integer(v, "--split-start-batch-size"));
            plugins.add("splitfuse");
        }
        if (on.getOrDefault("--enable-memory-decoding", false)) {
            int length = integer(v, "--memory-decoding-length");
            deploy.put("speculationGamma", length);
            plugins.add("memory_decoding");
            pluginParams.put("decoding_length", length);
            pluginParams.put("dynamic_algo", on.getOrDefault("--memory-decoding-dynamic-algo", false));
        }
        if (on.getOrDefault("--enable-lookahead", false)) {
            int level = integer(v, "--lookahead-level");
            int window = integer(v, "--lookahead-window");
            int guess = integer(v, "--lookahead-guess-set-size");
            deploy.put("speculationGamma", (level - 1) * (window + guess));
            plugins.add("la");
            pluginParams.put("level", level);
            pluginParams.put("window", window);
            pluginParams.put("guess_set_size", guess);
        }
        if (on.getOrDefault("--enable-multi-token-prediction", false)) {
            plugins.add("mtp");
            pluginParams.put("num_speculative_tokens", integer(v, "--multi-token-prediction-tokens"));
        }
        if (on.getOrDefault("--enable-prefix-caching", false)) {
            schedule.put("enablePrefixCache", true);
            plugins.add("prefix_cache");
        }
        if (!plugins.isEmpty()) {
            ObjectNode params = NODES.objectNode();
            params.put("plugin_type", String.join(",", plugins));
            params.setAll(pluginParams);
            model.put("plugin_params", params.toString());
        }
    }

    private static Map<String, String> environment(Inputs in, Map<String, String> v, Map<String, Boolean> on,
                                                   List<String> warnings) {
        Map<String, String> env = new TreeMap<>();
        env.putAll(DEFAULT_ENV);
        new TreeMap<>(in.userEnv()).forEach((name, value) -> {
            if (BLOCKED_ENV.contains(name)) {
                warnings.add("env " + name + " was removed: MindIE gets its devices and ranks from the agent's "
                        + "config and rank table");
            } else {
                env.put(name, value);
            }
        });
        Map<String, String> agent = new TreeMap<>(FIXED_ENV);
        agent.put(CONFIG_ENV, in.configPath());
        agent.put("NPU_MEMORY_FRACTION", v.get("--npu-memory-fraction"));
        agent.put("MINDIE_LOG_LEVEL", v.get("--log-level").toLowerCase(Locale.ROOT));
        boolean eager = on.getOrDefault("--enforce-eager", false);
        boolean asyncScheduling = !eager && integer(v, "--max-batch-size") > 50;
        agent.put("MINDIE_ASYNC_SCHEDULING_ENABLE", asyncScheduling ? "1" : "0");
        agent.put("ATB_OPERATION_EXECUTE_ASYNC", eager ? "0" : "1");
        if (eager) {
            agent.put("TASK_QUEUE_ENABLE", "0");
            agent.put("ASCEND_LAUNCH_BLOCKING", "1");
        }
        if (integer(v, "--cpu-mem-size") > 0) {
            agent.put("MIES_USE_MB_SWAPPER", "1");
        }
        if (on.getOrDefault("--metrics", false)) {
            agent.put("MIES_SERVICE_MONITOR_MODE", "1");
        }
        if (in.rankTablePath() != null) {
            agent.put("WORLD_SIZE", String.valueOf(in.worldSize()));
            agent.put("RANKTABLEFILE", in.rankTablePath());
            agent.put("RANK_TABLE_FILE", in.rankTablePath());
            agent.put("MIES_CONTAINER_IP", in.nodeIp());
            agent.put("HOST_IP", in.nodeIp());
            agent.put("ATB_LLM_HCCL_ENABLE", "1");
            agent.put("ATB_LLM_COMM_BACKEND", "hccl");
            agent.put("HCCL_CONNECT_TIMEOUT", "7200");
            agent.put("HCCL_EXEC_TIMEOUT", "0");
            agent.put("HCCL_RDMA_PCIE_DIRECT_POST_NOSTRICT", "TRUE");
            agent.put("HCCL_OP_EXPANSION_MODE", "AIV");
        }
        agent.forEach((name, value) -> {
            if (in.userEnv().containsKey(name) && !BLOCKED_ENV.contains(name)) {
                warnings.add("env " + name + " was overridden: the agent sets it for MindIE");
            }
            env.put(name, value);
        });
        return env;
    }

    private static int integer(Map<String, String> values, String flag) {
        return (int) Double.parseDouble(values.get(flag));
    }

    /** One node of a rank table: its IP and its NPUs (device id, device IP from hccn_tool). */
    public record RankServer(String serverIp, List<RankDevice> devices) {
        public RankServer {
            devices = List.copyOf(devices);
        }
    }

    public record RankDevice(int deviceId, String deviceIp) {
    }

    /** The HCCL rank table for multi-node MindIE; ranks count across servers in the given order. */
    public static String rankTable(List<RankServer> servers) {
        ObjectNode root = NODES.objectNode();
        root.put("version", "1.0");
        root.put("server_count", String.valueOf(servers.size()));
        ArrayNode list = root.putArray("server_list");
        int rank = 0;
        for (RankServer server : servers) {
            ObjectNode node = list.addObject();
            node.put("server_id", server.serverIp());
            node.put("container_ip", server.serverIp());
            ArrayNode devices = node.putArray("device");
            for (RankDevice device : server.devices()) {
                ObjectNode d = devices.addObject();
                d.put("device_id", String.valueOf(device.deviceId()));
                d.put("device_ip", device.deviceIp());
                d.put("rank_id", String.valueOf(rank++));
            }
        }
        root.put("status", "completed");
        try {
            return JSON.writeValueAsString(root) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a tree of plain values always serialises", e);
        }
    }
}
