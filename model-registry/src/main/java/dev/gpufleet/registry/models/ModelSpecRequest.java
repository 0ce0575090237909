package dev.gpufleet.registry.models;

import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import java.util.List;
import java.util.Map;

/**
 * The body of {@code POST} and {@code PUT /api/v1/models}: the model spec of DESIGN §6 as the operator wrote it.
 * Unset fields are null here; {@link ModelSpecValidator} applies the defaults. Fields the API does not know are
 * collected in {@code unknownFields} so the validator can name them instead of silently dropping them.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record ModelSpecRequest(
        String name,
        Source source,
        String backend,
        String backendVersion,
        List<String> backendParameters,
        Map<String, String> env,
        Integer replicas,
        List<String> categories,
        String placementStrategy,
        Boolean cpuOffloading,
        Boolean distributedInference,
        Map<String, String> workerSelector,
        List<String> gpuSelector,
        Boolean restartOnError,
        Boolean allowUnknownParameters,
        Boolean allowOvercommit,
        @JsonAnySetter Map<String, Object> unknownFields) {

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Source(
            String type,
            String repoId,
            String fileName,
            String revision,
            String modelId,
            String filePath,
            String path,
            @JsonAnySetter Map<String, Object> unknownFields) {
    }
}
