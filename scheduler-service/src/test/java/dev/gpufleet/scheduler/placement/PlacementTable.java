package dev.gpufleet.scheduler.placement;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;

import static dev.gpufleet.scheduler.placement.PlacementFixtures.assertPlaces;

/**
 * A table of placement cases: a subclass lists its rows, (why, workers, request, settings, expected) as
 * {@link PlacementFixtures#row} makes them, in {@code static Stream<Arguments> rows()}.
 */
public abstract class PlacementTable {

    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    public void places(String why, List<WorkerCapacity> workers, PlacementRequest request,
                       PlacementSettings settings, String expected) {
        assertPlaces(workers, request, settings, expected);
    }
}
