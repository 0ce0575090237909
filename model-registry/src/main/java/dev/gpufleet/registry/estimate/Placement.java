package dev.gpufleet.registry.estimate;

import java.util.List;

/**
 * Where llama-box puts a model's layers.
 *
 * @param gpuLayers   how many repeating layers go to GPUs (llama.cpp's {@code -ngl}, capped at the layer count);
 *                    the last {@code gpuLayers} layers are offloaded, the first ones stay in RAM, as llama.cpp does
 * @param tensorSplit one share per GPU (llama.cpp's {@code --tensor-split}); empty means no GPU at all
 */
public record Placement(int gpuLayers, List<Double> tensorSplit) {

    /** All layers plus the output layer on GPUs: {@code -ngl 999}. */
    public static final int ALL_LAYERS = 999;

    public Placement {
        tensorSplit = tensorSplit == null ? List.of() : List.copyOf(tensorSplit);
    }

    public static Placement cpuOnly() {
        return new Placement(0, List.of());
    }

    public static Placement fullGpu() {
        return new Placement(ALL_LAYERS, List.of(1.0));
    }

    /** The last {@code layers} layers on one GPU, the rest (and the output layer) in RAM. */
    public static Placement partial(int layers) {
        return new Placement(layers, List.of(1.0));
    }

    /** All layers spread over GPUs in proportion to {@code shares} (e.g. 1, 1 or 3, 1). */
    public static Placement tensorSplit(double... shares) {
        List<Double> list = new java.util.ArrayList<>();
        for (double s : shares) {
            list.add(s);
        }
        return new Placement(ALL_LAYERS, list);
    }

    public int gpuCount() {
        return tensorSplit.size();
    }
}
