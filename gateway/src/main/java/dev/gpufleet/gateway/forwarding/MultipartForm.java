package dev.gpufleet.gateway.forwarding;

import dev.gpufleet.gateway.openai.OpenAiError;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;

/**
 * What the gateway reads from a {@code multipart/form-data} request (OpenAI's audio transcriptions and
 * translations) before passing it on unchanged: the {@code model} and {@code stream} fields. Only part headers and
 * those two small fields are decoded; the file part is skipped over.
 */
public final class MultipartForm {
    private static final byte[] CRLFCRLF = {'\r', '\n', '\r', '\n'};

    private MultipartForm() {
    }

    public static ForwardRequest parse(String contentType, byte[] body) throws ForwardRequest.Rejected {
        Optional<String> boundary = boundary(contentType);
        if (boundary.isEmpty()) {
            throw new ForwardRequest.Rejected(OpenAiError.of("The request must be multipart/form-data with a boundary "
                    + "(Content-Type: " + (contentType == null ? "none" : contentType) + ").",
                    OpenAiError.INVALID_REQUEST, null, "invalid_content_type"));
        }
        byte[] delimiter = ("--" + boundary.get()).getBytes(StandardCharsets.ISO_8859_1);
        byte[] nextDelimiter = ("\r\n--" + boundary.get()).getBytes(StandardCharsets.ISO_8859_1);
        String model = null;
        boolean stream = false;
        int at = indexOf(body, delimiter, 0);
        while (at >= 0) {
            int headersStart = at + delimiter.length;
            if (headersStart + 1 < body.length && body[headersStart] == '-' && body[headersStart + 1] == '-') {
                break; // the closing delimiter
            }
            int headersEnd = indexOf(body, CRLFCRLF, headersStart);
            if (headersEnd < 0) {
                break;
            }
            int valueStart = headersEnd + CRLFCRLF.length;
            int valueEnd = indexOf(body, nextDelimiter, valueStart);
            if (valueEnd < 0) {
                break;
            }
            String headers = new String(body, headersStart, headersEnd - headersStart, StandardCharsets.ISO_8859_1);
            Optional<String> name = fieldName(headers);
            if (name.isPresent() && name.get().equals("model")) {
                model = new String(body, valueStart, valueEnd - valueStart, StandardCharsets.UTF_8).trim();
            } else if (name.isPresent() && name.get().equals("stream")) {
                stream = new String(body, valueStart, valueEnd - valueStart, StandardCharsets.UTF_8).trim()
                        .equalsIgnoreCase("true");
            }
            at = valueEnd + 2;
        }
        if (model == null || model.isEmpty()) {
            throw new ForwardRequest.Rejected(OpenAiError.of("Missing required parameter: 'model' (a form field). "
                    + "Name a model from /v1/models.", OpenAiError.INVALID_REQUEST, "model",
                    "missing_required_parameter"));
        }
        return new ForwardRequest(model, stream);
    }

    static Optional<String> boundary(String contentType) {
        if (contentType == null
                || !contentType.trim().toLowerCase(Locale.ROOT).startsWith("multipart/form-data")) {
            return Optional.empty();
        }
        for (String param : contentType.split(";")) {
            String trimmed = param.trim();
            if (trimmed.toLowerCase(Locale.ROOT).startsWith("boundary=")) {
                String value = trimmed.substring("boundary=".length()).trim();
                if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
                    value = value.substring(1, value.length() - 1);
                }
                return value.isEmpty() ? Optional.empty() : Optional.of(value);
            }
        }
        return Optional.empty();
    }

    /** The {@code name} of a {@code Content-Disposition: form-data} part. */
    static Optional<String> fieldName(String headers) {
        for (String line : headers.split("\r\n")) {
            if (!line.toLowerCase(Locale.ROOT).startsWith("content-disposition:")) {
                continue;
            }
            for (String param : line.substring(line.indexOf(':') + 1).split(";")) {
                String trimmed = param.trim();
                if (trimmed.startsWith("name=")) {
                    String value = trimmed.substring("name=".length());
                    if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
                        value = value.substring(1, value.length() - 1);
                    }
                    return Optional.of(value);
                }
            }
        }
        return Optional.empty();
    }

    static int indexOf(byte[] haystack, byte[] needle, int from) {
        outer:
        for (int i = Math.max(0, from); i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
