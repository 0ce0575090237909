package dev.gpufleet.gateway.openai;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import dev.gpufleet.gateway.routing.RoutingTable;

/** One entry of OpenAI's model list: {@code {"id","object":"model","created","owned_by"}}. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record OpenAiModel(String id, String object, long created, String ownedBy) {
    static final String OWNER = "gpufleet";

    static OpenAiModel of(RoutingTable.ModelEntry entry) {
        return new OpenAiModel(entry.name(), "model", entry.created().getEpochSecond(), OWNER);
    }
}
