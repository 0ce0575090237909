package dev.gpufleet.events;

/**
 * One engine version a worker can run: GPUStack's backend versions. A model's {@code backend_version} selects one;
 * placement only picks workers that have it, and the agent runs its command.
 *
 * @param backend {@code llama-box}, {@code vllm}, {@code vox-box}, {@code mindie}
 * @param version what the model spec's {@code backend_version} names, e.g. {@code 0.8.5}
 * @param path    the executable (or the first word of the command) that runs this version on the worker
 * @param source  {@code agent} when the agent's configuration lists it, {@code registered} when an operator
 *                registered it through the scheduler's API
 */
public record BackendVersion(String backend, String version, String path, String source) {
    public static final String AGENT = "agent";
    public static final String REGISTERED = "registered";
}
