package dev.gpufleet.registry.analysis;

/**
 * The result of one try at analysing a model: final ({@code retry == false}: ANALYZED or FAILED), or a transient
 * failure to try again later, in which case {@code analysis} is PENDING and says why.
 */
public record AnalysisStep(Analysis analysis, boolean retry) {
    public static AnalysisStep done(Analysis analysis) {
        return new AnalysisStep(analysis, false);
    }

    public static AnalysisStep retryLater(Analysis pendingWithReason) {
        return new AnalysisStep(pendingWithReason, true);
    }
}
