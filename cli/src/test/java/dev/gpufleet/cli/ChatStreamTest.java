package dev.gpufleet.cli;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChatStreamTest {

    @Test
    void theDeltasTextComesOutChunkByChunkAndUsageAndTheEndAreNoted() {
        ChatStream stream = new ChatStream();
        List<String> lines = List.of(
                ": keep-alive",
                "data: {\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\"}}]}",
                "",
                "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}",
                "data:{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"},\"finish_reason\":\"length\"}]}",
                "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2}}",
                "data: [DONE]",
                "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"after the end\"}}]}");
        StringBuilder text = new StringBuilder();
        lines.forEach(line -> text.append(stream.onLine(line)));
        assertEquals("Hello", text.toString());
        assertTrue(stream.done());
        assertEquals("length", stream.finishReason());
        assertEquals(2, stream.usage().path("completion_tokens").asInt());
        assertNull(stream.error());
    }

    @Test
    void anErrorEventEndsTheStreamWithTheServersMessage() {
        ChatStream stream = new ChatStream();
        stream.onLine("data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}");
        stream.onLine("data: {\"error\":{\"message\":\"the backend went away\",\"type\":\"api_error\"}}");
        assertTrue(stream.done());
        assertEquals("the backend went away", stream.error());
    }

    @Test
    void aStreamThatBreaksOffIsNotDone() {
        ChatStream stream = new ChatStream();
        assertEquals("a", stream.onLine("data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}"));
        assertEquals("", stream.onLine("data: {not json"));
        assertFalse(stream.done());
    }
}
