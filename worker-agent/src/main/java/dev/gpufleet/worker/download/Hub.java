package dev.gpufleet.worker.download;

import java.util.Optional;

/**
 * Where a hub is and the token sent to it (and only to it: never to a host it redirects to).
 *
 * @param setting the settings prefix, e.g. {@code gpufleet.worker.huggingface}, named in messages
 */
public record Hub(String name, String endpoint, Optional<String> token, String setting) {
    public static final String HUGGINGFACE_ENDPOINT = "https://huggingface.co";
    public static final String MODELSCOPE_ENDPOINT = "https://www.modelscope.cn";

    public Hub {
        endpoint = endpoint.endsWith("/") ? endpoint.substring(0, endpoint.length() - 1) : endpoint;
        token = token == null ? Optional.empty() : token.filter(t -> !t.isBlank());
    }

    public static Hub huggingFace(String endpoint, Optional<String> token) {
        return new Hub("Hugging Face", endpoint, token, "gpufleet.worker.huggingface");
    }

    public static Hub modelScope(String endpoint, Optional<String> token) {
        return new Hub("ModelScope", endpoint, token, "gpufleet.worker.modelscope");
    }

    /** The token is a secret. */
    @Override
    public String toString() {
        return "Hub[" + name + " at " + endpoint + (token.isPresent() ? ", token set" : "") + "]";
    }
}
