package dev.gpufleet.worker;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.Optional;

/** The agent's settings; each has an environment form, e.g. {@code GPUFLEET_WORKER_DATA_DIR}. */
@ConfigMapping(prefix = "gpufleet.worker")
public interface WorkerConfig {

    /** Where identity.json, the revision files and the backends' logs live. */
    String dataDir();

    /** Overrides the stored name (the hostname on first start). */
    Optional<String> name();

    /** {@code key=value,key=value}, added to the built-in labels os, arch and worker-name. */
    Optional<String> labels();

    /** Where this host's backends are reachable; unset = first non-loopback IPv4, else 127.0.0.1. */
    Optional<String> address();

    @WithDefault("5s")
    Duration heartbeatInterval();

    /** Stand-in for GPU detection: see {@link dev.gpufleet.worker.devices.SimulatedDevices}. */
    Optional<String> simulatedDevices();

    /** A JSON file describing devices the agent cannot detect: see {@link dev.gpufleet.worker.devices.ResourcesFile}. */
    Optional<String> resourcesFile();

    /** Directories searched for nvidia-smi, npu-smi, rocm-smi and system_profiler, like PATH; unset = PATH. */
    Optional<String> deviceToolPath();

    /** How long one device tool may run; one that takes longer is killed and the worker is NOT_READY. */
    @WithDefault("5s")
    Duration deviceToolTimeout();

    /** Ports handed to backends, {@code FROM-TO} inclusive; ports something else listens on are skipped. */
    @WithDefault("40000-40063")
    String portRange();

    /**
     * The address backends and the helper servers (RPC servers, MindIE nodes) listen on; unset = {@link #address()}
     * (the advertised one), so nothing listens on all interfaces unless set to {@code 0.0.0.0} here.
     */
    Optional<String> backendHost();

    /** Directories searched for backend binaries, separated like PATH; unset = the agent's PATH. */
    Optional<String> backendPath();

    LlamaBox llamaBox();

    /** The llamacpp-server jar, run with the agent's own java when no llama-box or llama-server binary exists. */
    Optional<String> llamacppServerJar();

    /** How long a backend may take to answer its health endpoint with 200 before it is killed. */
    @WithDefault("120s")
    Duration startTimeout();

    /** How often a RUNNING backend's health endpoint is probed; 3 failures in a row kill it. */
    @WithDefault("5s")
    Duration livenessInterval();

    /** How long one health probe may wait for an answer: a hung engine accepts the connection and says nothing. */
    @WithDefault("2s")
    Duration probeTimeout();

    /** How long a backend gets to exit after TERM before it is killed. */
    @WithDefault("10s")
    Duration stopTimeout();

    HubAccess huggingface();

    HubAccess modelscope();

    Download download();

    /** {@code gpufleet.worker.model-files.*}: when the agent removes downloaded model files nobody uses. */
    ModelFileCleanup modelFiles();

    interface ModelFileCleanup {
        /** Downloaded files no instance used for this long may be removed when the disk runs low. */
        @WithDefault("24h")
        Duration unusedAfter();

        /**
         * Below this much free space on the models' disk (e.g. {@code 10GiB}), unused files go, oldest first; {@code 0}
         * never removes any.
         */
        @WithDefault("10GiB")
        String minFree();

        /** How often the agent checks the models' disk. */
        @WithDefault("1m")
        Duration checkInterval();
    }

    /** A model hub: where it is and the token for gated or private models (a secret: never logged). */
    interface HubAccess {
        /** unset = the public hub */
        Optional<String> endpoint();

        Optional<String> token();
    }

    interface Download {
        /** How many files are transferred at once, across all instances. */
        @WithDefault("4")
        int parallelFiles();

        /** Bytes that must stay free on the models' disk after a download, e.g. {@code 2GiB}. */
        @WithDefault("2GiB")
        String diskMargin();

        /** A transfer that receives nothing for this long is dropped and resumed. */
        @WithDefault("60s")
        Duration stallTimeout();

        /** How often one file is tried, resuming each time, before the instance goes to ERROR. */
        @WithDefault("5")
        int attempts();

        /** The wait before the second attempt, doubled for each further one. */
        @WithDefault("2s")
        Duration retryDelay();

        /** The least time between two progress reports of one instance (each also needs 1 % more). */
        @WithDefault("1s")
        Duration progressInterval();
    }

    /**
     * Whether backends demand the per-instance API key ({@link dev.gpufleet.kit.auth.InstanceApiKeys}), which the
     * gateway sends.
     */
    @WithDefault("true")
    boolean backendApiKeys();

    /** The llama.cpp RPC servers' ports; the server of GPU i listens on FROM + i. */
    @WithDefault("40064-40095")
    String rpcPortRange();

    /**
     * {@code gpufleet.worker.backend-versions}: engine versions besides the default binaries,
     * {@code <backend>:<version>=<absolute path>,...} (see
     * {@link dev.gpufleet.worker.backend.ConfiguredBackendVersions}); reported in every heartbeat.
     */
    Optional<String> backendVersions();

    /** {@code gpufleet.worker.vllm.command}: replaces the search for {@code vllm}. */
    Command vllm();

    /** {@code gpufleet.worker.vox-box.command}: replaces the search for {@code vox-box}. */
    Command voxBox();

    /**
     * {@code gpufleet.worker.mindie.command}: replaces the search for {@code mindieservice_daemon};
     * {@code gpufleet.worker.mindie.multi-nodes-infer-port}: MindIE's inter-node port for instances across workers.
     */
    Mindie mindie();

    interface Mindie extends Command {
        /** Replaces the search for {@code mindieservice_daemon}. */
        @Override
        Optional<String> command();

        /** The same on every worker: each node of a MindIE instance across workers names it in its config. */
        @WithDefault("1120")
        int multiNodesInferPort();
    }

    interface Command {
        Optional<String> command();
    }

    /** {@code gpufleet.worker.ray.*}: the Ray cluster of a vLLM instance across workers (GPUStack's ports). */
    Ray ray();

    interface Ray {
        /** Replaces the search for {@code ray}. */
        Optional<String> command();

        /** The head's GCS port; the same on every worker, since a subordinate dials the main worker's. */
        @WithDefault("40096")
        int gcsPort();

        @WithDefault("40097")
        int clientServerPort();

        @WithDefault("40098")
        int nodeManagerPort();

        @WithDefault("40099")
        int objectManagerPort();

        @WithDefault("40100")
        int runtimeEnvAgentPort();

        @WithDefault("40101")
        int dashboardAgentGrpcPort();

        @WithDefault("52365")
        int dashboardAgentListenPort();

        @WithDefault("40103")
        int metricsExportPort();

        /** FROM-TO: the ports of Ray's worker processes. */
        @WithDefault("40200-40999")
        String workerPortRange();

        @WithDefault("8265")
        int dashboardPort();
    }

    /**
     * After the scheduler's first instance event, how long a backend left running by an earlier run of this agent
     * may wait to be claimed (adopted) before it is stopped.
     */
    @WithDefault("10s")
    Duration adoptionGrace();

    interface LlamaBox {
        /** A whole command line that replaces the binary search, e.g. {@code java -jar /x/llamacpp-server.jar}. */
        Optional<String> command();
    }
}
