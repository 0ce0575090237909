package dev.gpufleet.llamacpp.engine;

/** A finished generation: the text and the counts for OpenAI's {@code usage}. */
public record Generation(String text, int promptTokens, int completionTokens, FinishReason finishReason) {

    public enum FinishReason {
        STOP("stop"), LENGTH("length");

        public final String openAiName;

        FinishReason(String openAiName) {
            this.openAiName = openAiName;
        }
    }

    public int totalTokens() {
        return promptTokens + completionTokens;
    }
}
