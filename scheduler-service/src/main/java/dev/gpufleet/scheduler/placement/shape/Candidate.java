package dev.gpufleet.scheduler.placement.shape;

import dev.gpufleet.events.PlacementShape;
import dev.gpufleet.scheduler.placement.WorkerFacts;

import java.util.ArrayList;
import java.util.List;

/**
 * One way to run the instance, in positions of the snapshot (worker, GPU), with its score; the engine turns the
 * winner into a decision.
 *
 * @param gpus         GPU positions on {@code worker}, ascending; empty for CPU only
 * @param vram         the claim on each of {@code gpus}
 * @param gpuLayers    llama-box's offloaded layers ({@code LayeredSizing.ALL_LAYERS} for all)
 * @param tensorSplit  llama-box's shares of the layers: the main worker's GPUs, then each subordinate's
 * @param shortfalls   what the workers lack (manual selection only: automatic candidates fit)
 * @param impossible   why a manual selection cannot run at all, overcommit or not; null when it can
 */
public record Candidate(PlacementShape.Kind kind, int worker, int[] gpus, long[] vram, long ram, double score,
                        int gpuLayers, List<Double> tensorSplit, int tensorParallel, int pipelineParallel,
                        List<Subordinate> subordinates, List<Shortfall> shortfalls, String impossible) {

    /** Another worker's part of a candidate across workers (RPC servers, Ray or MindIE nodes). */
    public record Subordinate(int worker, int[] gpus, long[] vram, long ram) {
    }

    static Builder on(PlacementShape.Kind kind, int worker, int[] gpus, long[] vram, long ram) {
        return new Builder(kind, worker, gpus, vram, ram);
    }

    /** A manual selection that cannot run: the worker to blame and why. */
    static Candidate impossible(int worker, String why) {
        return on(PlacementShape.Kind.SINGLE_GPU, worker, new int[0], new long[0], 0).impossible(why).build();
    }

    /** Collects a candidate's parts; the shortfall checks keep their order, as messages list them. */
    static final class Builder {
        private final PlacementShape.Kind kind;
        private final int worker;
        private final int[] gpus;
        private final long[] vram;
        private final long ram;
        private double score;
        private int gpuLayers;
        private List<Double> tensorSplit = List.of();
        private int tensorParallel = 1;
        private int pipelineParallel = 1;
        private List<Subordinate> subordinates;
        private List<Shortfall> shortfalls;
        private String impossible;

        private Builder(PlacementShape.Kind kind, int worker, int[] gpus, long[] vram, long ram) {
            this.kind = kind;
            this.worker = worker;
            this.gpus = gpus;
            this.vram = vram;
            this.ram = ram;
        }

        Builder score(double value) {
            score = value;
            return this;
        }

        Builder gpuLayers(int layers) {
            gpuLayers = layers;
            return this;
        }

        Builder tensorSplit(List<Double> shares) {
            tensorSplit = shares;
            return this;
        }

        Builder tensorParallel(int size) {
            tensorParallel = size;
            return this;
        }

        Builder pipelineParallel(int size) {
            pipelineParallel = size;
            return this;
        }

        Builder impossible(String why) {
            impossible = why;
            return this;
        }

        String impossible() {
            return impossible;
        }

        long[] vram() {
            return vram;
        }

        Builder subordinate(int subWorker, int[] subGpus, long[] subVram, long subRam) {
            if (subordinates == null) {
                subordinates = new ArrayList<>();
            }
            subordinates.add(new Subordinate(subWorker, subGpus, subVram, subRam));
            return this;
        }

        Builder shortfall(Shortfall shortfall) {
            if (shortfalls == null) {
                shortfalls = new ArrayList<>();
            }
            shortfalls.add(shortfall);
            return this;
        }

        boolean fits() {
            return shortfalls == null;
        }

        /** A shortfall for each of {@code gpus} whose claim is more than its allocatable VRAM. */
        Builder checkVram(WorkerFacts f, int[] onGpus, long[] claims) {
            for (int i = 0; i < onGpus.length; i++) {
                if (claims[i] > f.alloc(onGpus[i])) {
                    shortfall(new Shortfall.Vram(f.worker().name(), f.gpu(onGpus[i]).index(), claims[i],
                            f.alloc(onGpus[i])));
                }
            }
            return this;
        }

        /** A shortfall when the worker has less allocatable RAM than {@code need}. */
        Builder checkRam(WorkerFacts f, long need) {
            if (need > f.allocRam()) {
                shortfall(new Shortfall.Ram(f.worker().name(), need, f.allocRam()));
            }
            return this;
        }

        /** A shortfall for each of {@code gpus} smaller than a sharded engine's {@code perDevice}. */
        Builder checkDeviceSize(WorkerFacts f, int[] onGpus, long perDevice) {
            for (int g : onGpus) {
                if (f.gpu(g).totalBytes() < perDevice) {
                    shortfall(new Shortfall.DeviceSize(f.worker().name(), f.gpu(g).index(), f.gpu(g).totalBytes(),
                            onGpus.length, perDevice));
                }
            }
            return this;
        }

        public Candidate build() {
            return new Candidate(kind, worker, gpus, vram, ram, score, gpuLayers, tensorSplit, tensorParallel,
                    pipelineParallel, subordinates == null ? List.of() : List.copyOf(subordinates),
                    shortfalls == null ? List.of() : List.copyOf(shortfalls), impossible);
        }
    }
}
