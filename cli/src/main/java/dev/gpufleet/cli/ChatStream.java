package dev.gpufleet.cli;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Reads a streamed chat completion's server-sent events a line at a time: the text of each chunk's delta, the usage
 * of the last chunk ({@code stream_options.include_usage}), the end ({@code data: [DONE]}) and an error event.
 */
final class ChatStream {
    private boolean done;
    private JsonNode usage;
    private String error;
    private String finishReason;

    /** The text this line adds (empty for none). */
    String onLine(String line) {
        if (done || !line.startsWith("data:")) {
            return "";
        }
        String data = line.substring("data:".length()).trim();
        if (data.equals("[DONE]")) {
            done = true;
            return "";
        }
        JsonNode chunk = Json.parse(data);
        if (chunk == null) {
            return "";
        }
        if (chunk.has("error")) {
            error = ApiErrors.message(500, data).replace(" (HTTP 500)", "");
            done = true;
            return "";
        }
        if (chunk.hasNonNull("usage")) {
            usage = chunk.get("usage");
        }
        JsonNode choice = chunk.path("choices").path(0);
        if (choice.hasNonNull("finish_reason")) {
            finishReason = choice.get("finish_reason").asText();
        }
        JsonNode content = choice.path("delta").path("content");
        return content.isTextual() ? content.asText() : "";
    }

    boolean done() {
        return done;
    }

    JsonNode usage() {
        return usage;
    }

    String error() {
        return error;
    }

    String finishReason() {
        return finishReason;
    }
}
