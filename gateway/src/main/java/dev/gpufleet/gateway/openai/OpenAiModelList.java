package dev.gpufleet.gateway.openai;

import java.util.List;

/** {@code GET /v1/models}: {@code {"object":"list","data":[...]}}. */
public record OpenAiModelList(String object, List<OpenAiModel> data) {
    static OpenAiModelList of(List<OpenAiModel> data) {
        return new OpenAiModelList("list", data);
    }
}
