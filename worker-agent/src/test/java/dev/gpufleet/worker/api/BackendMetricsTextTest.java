package dev.gpufleet.worker.api;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The engines' metrics of several instances merged into one exposition, in the shapes vLLM and llama.cpp write. */
class BackendMetricsTextTest {
    /** llama.cpp's server (llama-box shares it) with --metrics: no labels, colons in names. */
    static final String LLAMA = """
            # HELP llamacpp:prompt_tokens_total Number of prompt tokens processed.
            # TYPE llamacpp:prompt_tokens_total counter
            llamacpp:prompt_tokens_total 6886
            # HELP llamacpp:requests_processing Number of requests processing.
            # TYPE llamacpp:requests_processing gauge
            llamacpp:requests_processing 0
            """;
    /** vLLM: labelled samples and a histogram's _bucket, _sum and _count under one family. */
    static final String VLLM = """
            # HELP vllm:num_requests_running Number of requests currently running on GPU.
            # TYPE vllm:num_requests_running gauge
            vllm:num_requests_running{model_name="Qwen/Qwen2.5-7B"} 2.0
            # HELP vllm:time_to_first_token_seconds Histogram of time to first token in seconds.
            # TYPE vllm:time_to_first_token_seconds histogram
            vllm:time_to_first_token_seconds_sum{model_name="Qwen/Qwen2.5-7B"} 0.5
            vllm:time_to_first_token_seconds_bucket{le="0.1",model_name="Qwen/Qwen2.5-7B"} 3.0
            vllm:time_to_first_token_seconds_count{model_name="Qwen/Qwen2.5-7B"} 3.0
            """;

    @Test
    void eachSampleNamesItsInstanceAndEachFamilyIsWrittenOnce() {
        String merged = BackendMetricsText.merge(List.of(BackendMetricsText.Scraped.of("i-1", LLAMA),
                BackendMetricsText.Scraped.of("i-2", VLLM), BackendMetricsText.Scraped.of("i-3", LLAMA)));
        assertEquals("""
                # HELP llamacpp:prompt_tokens_total Number of prompt tokens processed.
                # TYPE llamacpp:prompt_tokens_total counter
                llamacpp:prompt_tokens_total{instance="i-1"} 6886
                llamacpp:prompt_tokens_total{instance="i-3"} 6886
                # HELP llamacpp:requests_processing Number of requests processing.
                # TYPE llamacpp:requests_processing gauge
                llamacpp:requests_processing{instance="i-1"} 0
                llamacpp:requests_processing{instance="i-3"} 0
                # HELP vllm:num_requests_running Number of requests currently running on GPU.
                # TYPE vllm:num_requests_running gauge
                vllm:num_requests_running{instance="i-2",model_name="Qwen/Qwen2.5-7B"} 2.0
                # HELP vllm:time_to_first_token_seconds Histogram of time to first token in seconds.
                # TYPE vllm:time_to_first_token_seconds histogram
                vllm:time_to_first_token_seconds_sum{instance="i-2",model_name="Qwen/Qwen2.5-7B"} 0.5
                vllm:time_to_first_token_seconds_bucket{instance="i-2",le="0.1",model_name="Qwen/Qwen2.5-7B"} 3.0
                vllm:time_to_first_token_seconds_count{instance="i-2",model_name="Qwen/Qwen2.5-7B"} 3.0
                """, merged);
    }

    @Test
    void aBackendWithoutMetricsIsNamedInACommentAndTheOthersStay() {
        String merged = BackendMetricsText.merge(List.of(
                BackendMetricsText.Scraped.failed("i-1", "/metrics answered 404"),
                BackendMetricsText.Scraped.of("i-2", "up 1\n# a comment of the engine's\n\n")));
        assertEquals("# gpufleet: no metrics from instance i-1: /metrics answered 404\nup{instance=\"i-2\"} 1\n",
                merged);
    }

    @Test
    void anInstanceIdCannotBreakTheLabel() {
        String merged = BackendMetricsText.merge(List.of(BackendMetricsText.Scraped.of("a\"b\\c", "x{} 1")));
        assertEquals("x{instance=\"a\\\"b\\\\c\"} 1\n", merged);
    }
}
