package dev.gpufleet.cli;

import com.fasterxml.jackson.databind.JsonNode;

/** The one line the CLI prints for an HTTP error answer: the server's own message. */
public final class ApiErrors {
    private static final int MAX_RAW = 300;

    private ApiErrors() {
    }

    /**
     * The message of the admin API's {@code {"code", "reason", "message"}} or of OpenAI's
     * {@code {"error": {"message", ...}}}; any other body, shortened, when there is no such message.
     */
    public static String message(int status, String body) {
        JsonNode json = body == null || body.isBlank() ? null : Json.parse(body);
        String message = null;
        if (json != null && json.isObject()) {
            JsonNode error = json.get("error");
            if (error != null && error.isObject()) {
                message = Json.text(error, "message");
            } else if (error != null && error.isTextual()) {
                message = error.asText();
            } else {
                message = Json.text(json, "message");
            }
        }
        if (message == null || message.isBlank()) {
            String raw = body == null ? "" : body.strip();
            message = raw.isEmpty() ? "no details in the answer" : raw.length() > MAX_RAW
                    ? raw.substring(0, MAX_RAW) + " ..." : raw;
        }
        return message + " (HTTP " + status + ")";
    }
}
