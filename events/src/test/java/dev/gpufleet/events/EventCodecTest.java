package dev.gpufleet.events;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EventCodecTest {
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-26T12:00:00Z"), ZoneOffset.UTC);

    static Stream<EventPayload> payloads() {
        ModelSpec spec = new ModelSpec("qwen2.5-0.5b", new ModelSource(ModelSource.HUGGINGFACE,
                "Qwen/Qwen2.5-0.5B-Instruct-GGUF", "*q4_k_m.gguf", "main", null, null, null),
                "llama-box", null, List.of("--ctx-size=4096"), Map.of("HF_HUB_OFFLINE", "1"), 2,
                List.of("llm"), "spread", true, false, Map.of("os", "linux"), List.of("w1:cuda:0"), true);
        ResourceClaim claim = new ResourceClaim(512L << 20, Map.of(0, 4L << 30, 1, 4L << 30));
        return Stream.of(
                new ModelChanged("m-1", spec, ModelAnalysis.pending(), new ResourceEstimate(1L << 30, 6L << 30),
                        Instant.parse("2026-11-20T08:00:00.123456Z")),
                new ModelChanged("m-2", spec, new ModelAnalysis(ModelAnalysis.State.FAILED, "404 from hub"), null, null),
                new ModelDeleted("m-1", "qwen2.5-0.5b"),
                new WorkerReported("w-1", "gpu-node-1", "10.0.0.5", 10150, "linux", "amd64", Map.of("zone", "a"),
                        64, 12.5, 256L << 30, 100L << 30,
                        List.of(new GpuDevice(0, "nvidia", "cuda", "NVIDIA H100 80GB HBM3", "GPU-abc",
                                80L << 30, 1L << 30, 3.0)),
                        WorkerState.READY, null, List.of(new ObservedInstance("i-1", InstanceState.RUNNING)), 5),
                new InstanceObserved("i-1", "w-1", InstanceState.DOWNLOADING, 0.42, null, null, "fetching", 0),
                new InstanceChanged("i-1", "qwen-abc123", "m-1", "qwen2.5-0.5b", "w-1", "gpu-node-1", List.of(0, 1),
                        List.of(new SubordinateWorker("w-2", List.of(0), claim)), claim, InstanceState.RUNNING,
                        null, "10.0.0.5:40000", 1, LaunchPlan.of(spec)),
                new InstanceDeleted("i-1", "m-1", "w-1"));
    }

    @ParameterizedTest
    @MethodSource("payloads")
    void everyPayloadRoundTrips(EventPayload payload) throws Exception {
        Envelope<EventPayload> sent = Envelope.of(payload, 7, CLOCK);
        String json = EventCodec.encode(sent);

        Envelope<EventPayload> received = EventCodec.decode(json);

        assertEquals(sent, received);
        assertEquals(payload.getClass().getSimpleName(), received.type());
        assertEquals(payload.entityId(), received.key());
        assertTrue(json.contains("\"occurredAt\":\"2026-11-26T12:00:00Z\""), json);
    }

    @Test
    void unknownFieldsFromANewerProducerAreIgnored() throws Exception {
        String json = EventCodec.encode(Envelope.of(new ModelDeleted("m-9", "x"), 3, CLOCK))
                .replace("\"payload\":{", "\"payload\":{\"addedLater\":true,");
        assertEquals(new ModelDeleted("m-9", "x"), EventCodec.decode(json).payload());
    }

    static Stream<Arguments> malformed() {
        String good = EventCodec.encode(Envelope.of(new ModelDeleted("m-1", "x"), 2, CLOCK));
        return Stream.of(
                Arguments.of("", "empty message"),
                Arguments.of("{not json", "not JSON"),
                Arguments.of("[1,2]", "not a JSON object"),
                Arguments.of(good.replace("\"ModelDeleted\"", "\"ModelExploded\""), "unknown type 'ModelExploded'"),
                Arguments.of(good.replace("\"type\":\"ModelDeleted\",", ""), "field 'type' missing"),
                Arguments.of(good.replace("\"version\":1", "\"version\":2"), "version 2 not supported"),
                Arguments.of(good.replace("\"revision\":2", "\"revision\":0"), "revision must be an integer >= 1"),
                Arguments.of(good.replace("\"revision\":2", "\"revision\":\"2\""), "revision must be an integer"),
                Arguments.of(good.replaceFirst("\"eventId\":\"[^\"]+\"", "\"eventId\":\"nope\""), "bad eventId"),
                Arguments.of(good.replace("2026-11-26T12:00:00Z", "yesterday"), "bad eventId or occurredAt"),
                Arguments.of(good.replaceFirst("\"payload\":\\{.*}}$", "\"payload\":null}"), "payload missing"),
                Arguments.of(good.replace("\"modelId\":\"m-1\"", "\"modelId\":null"), "has no entity id"),
                Arguments.of(EventCodec.encode(Envelope.of(new InstanceObserved("i", "w", InstanceState.RUNNING,
                                null, null, null, null, 0), 1, CLOCK)).replace("\"RUNNING\"", "\"DANCING\""),
                        "InstanceObserved payload does not fit the contract"));
    }

    @ParameterizedTest
    @MethodSource("malformed")
    void malformedMessagesSayWhatIsWrong(String json, String expected) {
        MalformedEventException e = assertThrows(MalformedEventException.class, () -> EventCodec.decode(json));
        assertTrue(e.getMessage().contains(expected), () -> "'" + e.getMessage() + "' should contain '" + expected + "'");
    }

    @Test
    void deadLetterRoundTrips() throws Exception {
        DeadLetter dl = new DeadLetter(Topics.MODELS, 0, 42, "m-1", "{garbage", "scheduler", "not JSON",
                CLOCK.instant());
        assertEquals(dl, EventCodec.decodeDeadLetter(EventCodec.encodeDeadLetter(dl)));
    }

    @Test
    void envelopeRejectsRevisionBelowOne() {
        assertThrows(IllegalArgumentException.class, () -> Envelope.of(new ModelDeleted("m", "n"), 0, CLOCK));
    }
}
