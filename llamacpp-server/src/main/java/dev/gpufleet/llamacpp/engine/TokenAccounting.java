package dev.gpufleet.llamacpp.engine;

/**
 * Counts completion tokens. java-llama.cpp reports generated text, not token counts: each streamed piece holds
 * at least one token, and more when llama.cpp held back bytes of an incomplete UTF-8 character. The count is the
 * larger of the pieces and the re-tokenised text, never more than the token budget; the end-of-sequence token
 * arrives as an empty piece.
 */
public final class TokenAccounting {

    private TokenAccounting() {
    }

    /**
     * @param pieces          streamed pieces llama.cpp sent (the empty end-of-sequence piece included)
     * @param retokenized     tokens of the generated text when tokenised again
     * @param endedEmpty      whether the last piece was empty: end of sequence or a stop string
     * @param budget          the n_predict the generation ran with
     */
    public static Count count(int pieces, int retokenized, boolean endedEmpty, int budget) {
        int tokens = Math.max(pieces, retokenized + (endedEmpty ? 1 : 0));
        tokens = Math.min(tokens, budget);
        boolean stoppedEarly = endedEmpty && pieces < budget;
        Generation.FinishReason reason = !stoppedEarly && tokens >= budget
                ? Generation.FinishReason.LENGTH : Generation.FinishReason.STOP;
        return new Count(tokens, reason);
    }

    public record Count(int completionTokens, Generation.FinishReason finishReason) {}
}
