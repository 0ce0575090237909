package dev.gpufleet.scheduler.placement.filter;

import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.gpufleet.scheduler.placement.PlacementFixtures.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Parsing gpu_selector entries. */
class GpuSelectionTest {

    @Test
    void aBadSelectorEntryIsRejectedWithTheFieldAndFormat() {
        for (String bad : List.of("", "w:cuda", "w:gpu:0", "w:cuda:-1", "w:cuda:x", ":cuda:0")) {
            var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> GpuSelection.parse(bad));
            assertTrue(e.getMessage().startsWith("gpu_selector entry '" + bad + "'"), e.getMessage());
        }
        assertEquals(new GpuSelection("host:a", "npu", 3), GpuSelection.parse("host:a:npu:3"));
    }}
