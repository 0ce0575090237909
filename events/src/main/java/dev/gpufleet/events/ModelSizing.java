package dev.gpufleet.events;

/**
 * Everything the scheduler needs to size any placement shape it may try for a model, so it needs no other call.
 * Exactly one part is set, by backend: {@code layered} for llama-box (layers split over GPUs and RAM),
 * {@code sharded} for vLLM and MindIE (a total spread evenly over N devices), {@code fixed} for vox-box.
 */
public record ModelSizing(LayeredSizing layered, ShardedSizing sharded, FixedSizing fixed) {

    public static ModelSizing of(LayeredSizing layered) {
        return new ModelSizing(layered, null, null);
    }

    public static ModelSizing of(ShardedSizing sharded) {
        return new ModelSizing(null, sharded, null);
    }

    public static ModelSizing of(FixedSizing fixed) {
        return new ModelSizing(null, null, fixed);
    }
}
