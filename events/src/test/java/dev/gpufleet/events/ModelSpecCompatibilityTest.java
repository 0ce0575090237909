package dev.gpufleet.events;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A spec the registry wrote before {@code allowOvercommit} existed still reads, as a spec without overcommit. */
class ModelSpecCompatibilityTest {
    @Test
    void aSpecWithoutAllowOvercommitReadsAsFalse() throws Exception {
        ModelSpec spec = new ModelSpec("m", ModelSource.localPath("/models/m"), "vllm", null, List.of(), Map.of(), 1,
                List.of(), "spread", false, false, Map.of(), List.of("w:cuda:0"), true, false, true);
        ObjectNode json = EventCodec.mapper().valueToTree(spec);
        assertTrue(json.get("allowOvercommit").booleanValue());
        json.remove("allowOvercommit");
        ModelSpec old = EventCodec.mapper().treeToValue(json, ModelSpec.class);
        assertFalse(old.allowOvercommit());
        assertEquals(spec.gpuSelector(), old.gpuSelector());
    }
}
