package dev.gpufleet.scheduler.workers;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import dev.gpufleet.events.InstanceState;

import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * How far a drain is, in the admin API's worker view: complete once no instance is left on the worker; until then
 * each instance left and why it is still there. Pure.
 *
 * @param message one line for people
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record DrainProgress(boolean complete, int instancesLeft, String message, List<Left> instances) {

    /**
     * An instance still on the draining worker.
     *
     * @param move where its move stands (see {@code MoveStatus}); null while it has no replacement
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Left(UUID id, String name, String modelName, InstanceState state,
                       @JsonInclude(JsonInclude.Include.NON_NULL) String move) {
    }

    public static DrainProgress of(List<Left> left) {
        if (left.isEmpty()) {
            return new DrainProgress(true, 0, "complete: no instance is left on this worker", List.of());
        }
        String each = left.stream()
                .map(l -> l.name() + " (" + l.modelName() + ", " + l.state() + "): "
                        + (l.move() != null ? l.move() : "to be moved"))
                .collect(Collectors.joining("; "));
        return new DrainProgress(false, left.size(), left.size() + (left.size() == 1 ? " instance" : " instances")
                + " left: " + each, List.copyOf(left));
    }
}
