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
                new ModelChanged("m-3", spec, new ModelAnalysis(ModelAnalysis.State.ANALYZED, "llama, 0.5 B",
                        new ModelFacts("qwen2", "Q4_K_M", 494_000_000L, 24, 14, 2, 896, 32768, 400L << 20, false,
                                false, "mmproj-f16.gguf")),
                        new ResourceEstimate(1L << 30, 2L << 30, ModelSizing.of(new LayeredSizing(8192,
                                List.of(10L << 20, 11L << 20), 1L << 20, 3L << 20, 5L << 20, 1L << 16, 7L << 20, 0,
                                9L << 20, 1L << 18, 0))), Instant.parse("2026-11-20T08:00:00Z")),
                new ModelChanged("m-4", spec, ModelAnalysis.pending(), new ResourceEstimate(0, 20L << 30,
                        ModelSizing.of(new ShardedSizing(16L << 30, 0.9, 19L << 30, 0, 28, false))), null),
                new ModelChanged("m-5", spec, ModelAnalysis.pending(), new ResourceEstimate(3L << 30, 2L << 30,
                        ModelSizing.of(new FixedSizing(new ResourceEstimate(3L << 30, 2L << 30),
                                new ResourceEstimate(3L << 30, 0)))), null),
                new ModelDeleted("m-1", "qwen2.5-0.5b"),
                new WorkerReported("w-1", "gpu-node-1", "10.0.0.5", 10150, "linux", "amd64", Map.of("zone", "a"),
                        64, 12.5, 256L << 30, 100L << 30,
                        List.of(new GpuDevice(0, "nvidia", "cuda", "NVIDIA H100 80GB HBM3", "GPU-abc",
                                80L << 30, 1L << 30, 3.0), new GpuDevice(1, "ascend", "npu", "Ascend 910B3",
                                "0000:C1:00.0-chip0", 64L << 30, 3L << 30, 0.0, "29.11.36.2")),
                        WorkerState.READY, null, List.of(new ObservedInstance("i-1", InstanceState.RUNNING)), 5),
                new WorkerReported("w-2", "gpu-node-2", "10.0.0.6", 10150, "linux", "amd64", Map.of(), 8, 1.0,
                        16L << 30, 2L << 30, List.of(), WorkerState.READY, null, List.of(
                        new ObservedInstance("i-1", InstanceState.RUNNING, 17L, 40000, 4242L, "warning: x", 2, null,
                                new ResourceClaim(300L << 20, Map.of(0, 5L << 30))),
                        new ObservedInstance("i-2", InstanceState.DOWNLOADING, 18L, null, null, null, 0, 0.5, null)), 5,
                        "run-1", 42L),
                new WorkerReported("w-3", "gpu-node-3", "10.0.0.7", 10150, "linux", "amd64", Map.of(), 8, 1.0,
                        16L << 30, 2L << 30, List.of(), WorkerState.READY, null, List.of(), 5, "run-3", 7L, List.of(),
                        List.of(new ModelFileSet("w-3:0123456789abcdef", ModelSource.HUGGINGFACE, "Qwen/Qwen2.5",
                                        List.of("q4.gguf"), "/data/models/huggingface/Qwen/Qwen2.5", 400L << 20,
                                        ModelFileSet.State.DOWNLOADING, 100L << 20, 400L << 20, null,
                                        Instant.parse("2026-11-20T08:00:00Z"), List.of("i-1")),
                                new ModelFileSet("w-3:fedcba9876543210", ModelSource.LOCAL_PATH, null, List.of(),
                                        "/srv/m.gguf", 1L << 30, ModelFileSet.State.ERROR, null, null, "gone", null,
                                        List.of())),
                        new ModelDirectory("/data/models", 401L << 20, 10L << 30, 100L << 30)),
                new InstanceObserved("i-1", "w-1", InstanceState.DOWNLOADING, 0.42, null, null, "fetching", 0),
                new InstanceObserved("i-1", "w-1", InstanceState.RUNNING, null, 40000, 4242L, null, 0,
                        new ResourceClaim(300L << 20, Map.of(0, 5L << 30))),
                new InstanceChanged("i-1", "qwen-abc123", "m-1", "qwen2.5-0.5b", "w-1", "gpu-node-1", List.of(0, 1),
                        List.of(new SubordinateWorker("w-2", List.of(0), claim)), claim, InstanceState.RUNNING,
                        null, "10.0.0.5:40000", 1, LaunchPlan.of(spec)),
                new InstanceChanged("i-2", "qwen-abc124", "m-1", "qwen2.5-0.5b", "w-1", "gpu-node-1", List.of(0, 1),
                        List.of(new SubordinateWorker("w-2", List.of(0), claim)), claim, InstanceState.SCHEDULED,
                        null, null, 0, LaunchPlan.of(spec), new PlacementShape(PlacementShape.Kind.DISTRIBUTED,
                        999, List.of(0.4, 0.4, 0.2), 1, 1)),
                new InstanceChanged("i-3", "qwen-abc125", "m-1", "qwen2.5-0.5b", "w-1", "gpu-node-1", List.of(0, 1),
                        List.of(new SubordinateWorker("w-2", List.of(0, 1), claim, "10.0.0.6",
                                Map.of(0, "29.11.37.2", 1, "29.11.37.3"))), claim,
                        InstanceState.STARTING, null, null, 0, LaunchPlan.of(spec), new PlacementShape(
                        PlacementShape.Kind.DISTRIBUTED, 0, List.of(), 2, 2), "10.0.0.5",
                        Map.of(0, "29.11.36.2", 1, "29.11.36.3")),
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

    @Test
    void heartbeatsFromAgentsBeforeModelFilesDecodeWithNone() throws Exception {
        WorkerReported current = new WorkerReported("w-1", "n", "10.0.0.5", 10150, "linux", "amd64", Map.of(), 4,
                0.0, 1L << 30, 0, List.of(), WorkerState.READY, null, List.of(), 5, "run", 1L, List.of())
                .withModelFiles(List.of(new ModelFileSet("w-1:00000000000000aa", ModelSource.LOCAL_PATH, null,
                        List.of(), "/m.gguf", 1, ModelFileSet.State.READY, null, null, null, null, List.of())),
                        new ModelDirectory("/data/models", 0, 1, 2));
        String json = EventCodec.encode(Envelope.of(current, 2, CLOCK));
        String old = json.replaceAll(",\"modelFiles\":\\[.*?\\]\\}\\]", "")
                .replaceAll(",\"modelDirectory\":\\{[^}]*}", "");
        assertTrue(!old.contains("modelFiles") && !old.contains("modelDirectory") && old.contains("backendVersions"),
                old);

        WorkerReported decoded = (WorkerReported) EventCodec.decode(old).payload();

        assertEquals(current.withModelFiles(List.of(), null), decoded);
    }

    @Test
    void messagesFromProducersBeforeSizingAndShapeDecodeWithNulls() throws Exception {
        String oldModel = EventCodec.encode(Envelope.of(new ModelChanged("m-1", null,
                new ModelAnalysis(ModelAnalysis.State.ANALYZED, "ok"), new ResourceEstimate(1, 2), null), 4, CLOCK))
                .replace(",\"sizing\":null", "").replace(",\"facts\":null", "");
        assertTrue(!oldModel.contains("sizing") && !oldModel.contains("facts"), oldModel);

        ModelChanged decoded = (ModelChanged) EventCodec.decode(oldModel).payload();

        assertEquals(new ResourceEstimate(1, 2, null), decoded.estimate());
        assertEquals(null, decoded.analysis().facts());
    }

    @Test
    void instanceChangedFromProducersBeforeTheMainWorkersAddressDecodesWithNull() throws Exception {
        InstanceChanged current = new InstanceChanged("i-1", "n", "m-1", "model", "w-1", "worker", List.of(0),
                List.of(new SubordinateWorker("w-2", List.of(0), null, "10.0.0.6")), null, InstanceState.SCHEDULED,
                null, null, 0, null, null, "10.0.0.5");
        String json = EventCodec.encode(Envelope.of(current, 2, CLOCK));
        String old = json.replace(",\"workerAddress\":\"10.0.0.5\"", "");
        assertTrue(!old.contains("workerAddress") && old.contains("\"address\":\"10.0.0.6\""), old);

        InstanceChanged decoded = (InstanceChanged) EventCodec.decode(old).payload();

        assertEquals(null, decoded.workerAddress());
        assertEquals(current.withWorkerAddress(null), decoded);
        assertEquals("10.0.0.5", ((InstanceChanged) EventCodec.decode(json).payload()).workerAddress());
    }

    @Test
    void messagesFromProducersBeforeDeviceIpsDecodeWithoutThem() throws Exception {
        InstanceChanged current = new InstanceChanged("i-1", "n", "m-1", "model", "w-1", "worker", List.of(0),
                List.of(new SubordinateWorker("w-2", List.of(1), null, "10.0.0.6", Map.of(1, "29.11.37.3"))), null,
                InstanceState.SCHEDULED, null, null, 0, null, null, "10.0.0.5", Map.of(0, "29.11.36.2"));
        String old = EventCodec.encode(Envelope.of(current, 2, CLOCK))
                .replace(",\"deviceIps\":{\"1\":\"29.11.37.3\"}", "")
                .replace(",\"deviceIps\":{\"0\":\"29.11.36.2\"}", "");
        assertTrue(!old.contains("deviceIps"), old);
        InstanceChanged decoded = (InstanceChanged) EventCodec.decode(old).payload();
        assertEquals(Map.of(), decoded.deviceIps());
        assertEquals(Map.of(), decoded.subordinateWorkers().get(0).deviceIps());

        GpuDevice npu = new GpuDevice(0, "ascend", "npu", "Ascend 910B3", "bus-chip0", 64L << 30, 0, 0.0, "29.11.36.2");
        String oldBeat = EventCodec.encode(Envelope.of(new WorkerReported("w-1", "n", "10.0.0.5", 10150, "linux",
                "arm64", Map.of(), 1, 0, 1, 0, List.of(npu), WorkerState.READY, null, List.of(), 5), 3, CLOCK))
                .replace(",\"deviceIp\":\"29.11.36.2\"", "");
        assertTrue(!oldBeat.contains("deviceIp"), oldBeat);
        assertEquals(npu.withDeviceIp(null),
                ((WorkerReported) EventCodec.decode(oldBeat).payload()).gpus().get(0));
    }

    @Test
    void heartbeatsFromAgentsBeforeTheSequenceAndTheRepeatedObservationsDecodeWithNulls() throws Exception {
        WorkerReported current = new WorkerReported("w-1", "n", "10.0.0.5", 10150, "linux", "amd64", Map.of(), 1, 0,
                1, 0, List.of(), WorkerState.READY, null,
                List.of(new ObservedInstance("i-1", InstanceState.ERROR, 9L, null, null, "exited", 1, null, null)), 5,
                "run-1", 3L);
        String json = EventCodec.encode(Envelope.of(current, 3, CLOCK));
        String old = json.replace(",\"agentRunId\":\"run-1\",\"heartbeatSequence\":3", "")
                .replace(",\"revision\":9,\"port\":null,\"pid\":null,\"message\":\"exited\",\"restartCount\":1,"
                        + "\"downloadProgress\":null,\"measuredUsage\":null", "");
        assertTrue(!old.contains("heartbeatSequence") && !old.contains("restartCount"), old);

        WorkerReported decoded = (WorkerReported) EventCodec.decode(old).payload();

        assertEquals(null, decoded.agentRunId());
        assertEquals(null, decoded.heartbeatSequence());
        assertEquals(List.of(new ObservedInstance("i-1", InstanceState.ERROR)), decoded.instances());
        assertTrue(!decoded.instances().get(0).repeatsObservation());
        ObservedInstance repeated = ((WorkerReported) EventCodec.decode(json).payload()).instances().get(0);
        assertEquals(new InstanceObserved("i-1", "w-1", InstanceState.ERROR, null, null, null, "exited", 1),
                repeated.asObservation("w-1"));
    }

    @Test
    void deviceIpsWithoutAnAddressAreDropped() throws Exception {
        String json = EventCodec.encode(Envelope.of(new InstanceChanged("i-1", "n", "m-1", "model", "w-1", "worker",
                List.of(0, 1), List.of(), null, InstanceState.SCHEDULED, null, null, 0, null, null, "10.0.0.5",
                Map.of(0, "29.11.36.2")), 2, CLOCK)).replace("{\"0\":\"29.11.36.2\"}",
                "{\"0\":\"29.11.36.2\",\"1\":null,\"2\":\" \"}");
        assertEquals(Map.of(0, "29.11.36.2"), ((InstanceChanged) EventCodec.decode(json).payload()).deviceIps());
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
