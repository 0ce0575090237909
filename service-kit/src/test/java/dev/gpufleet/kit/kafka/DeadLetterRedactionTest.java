package dev.gpufleet.kit.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.EventCodec;
import dev.gpufleet.events.ModelChanged;
import dev.gpufleet.events.ModelSource;
import dev.gpufleet.events.ModelSpec;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DeadLetterRedactionTest {
    private static final String SECRET = "hf_SECRETtoken0123456789";

    @Test
    void envValuesOfAModelSpecAreRedactedAndTheRestKept() throws Exception {
        ModelSpec spec = new ModelSpec("chat", ModelSource.localPath("/models/chat.gguf"), "llama-box",
                null, List.of("--ctx-size=4096"), Map.of("HF_TOKEN", SECRET, "OMP_NUM_THREADS", "4"), 1,
                List.of(), "spread", true, false, Map.of(), List.of(), true);
        String event = EventCodec.encode(Envelope.of(new ModelChanged("m-1", spec, null, null, null), 3,
                Clock.systemUTC()));
        assertTrue(event.contains(SECRET));

        String redacted = DeadLetterRedaction.redact(event);

        assertFalse(redacted.contains(SECRET), redacted);
        JsonNode root = EventCodec.mapper().readTree(redacted);
        JsonNode env = root.path("payload").path("spec").path("env");
        assertEquals(DeadLetterRedaction.REDACTED, env.path("HF_TOKEN").asText());
        assertEquals(DeadLetterRedaction.REDACTED, env.path("OMP_NUM_THREADS").asText());
        assertEquals("--ctx-size=4096", root.path("payload").path("spec").path("backendParameters").path(0).asText(),
                redacted);
        assertEquals(3, root.path("revision").asLong());
    }

    @Test
    void everyEnvAnywhereIsRedactedAlsoInAnEventThatBreaksTheContract() {
        String value = "{\"type\":\"InstanceChanged\",\"version\":99,\"payload\":{\"launchPlan\":{\"env\":"
                + "{\"API_KEY\":\"" + SECRET + "\"}},\"items\":[{\"env\":{\"X\":\"" + SECRET + "\"}}],"
                + "\"other\":{\"env\":\"" + SECRET + "\"}}}";
        String redacted = DeadLetterRedaction.redact(value);
        assertFalse(redacted.contains(SECRET), redacted);
        assertTrue(redacted.contains("\"API_KEY\":\"<redacted>\""), redacted);
        assertTrue(redacted.contains("\"version\":99"), redacted);
    }

    @Test
    void textThatIsNotJsonHasItsEnvObjectsRedactedOrIsWithheld() {
        String truncated = "{\"payload\":{\"spec\":{\"env\":{\"HF_TOKEN\":\"" + SECRET + "\"},\"name\":\"chat\"";
        String redacted = DeadLetterRedaction.redact(truncated);
        assertFalse(redacted.contains(SECRET), redacted);
        assertTrue(redacted.contains("\"name\":\"chat\""), redacted);

        String cutInsideEnv = "{\"payload\":{\"spec\":{\"env\":{\"HF_TOKEN\":\"" + SECRET;
        assertEquals(DeadLetterRedaction.WITHHELD, DeadLetterRedaction.redact(cutInsideEnv));
    }

    @Test
    void messagesWithoutEnvAreKeptAsTheyAre() {
        String value = "{\"type\":\"WorkerReported\",\"payload\":{\"name\":\"gpu-1\"}}";
        assertSame(value, DeadLetterRedaction.redact(value));
        assertEquals("not json at all", DeadLetterRedaction.redact("not json at all"));
        assertNull(DeadLetterRedaction.redact(null));
    }
}
