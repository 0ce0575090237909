package dev.gpufleet.gateway.routing;

import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.EventPayload;
import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.ModelAnalysis;
import dev.gpufleet.events.ModelChanged;
import dev.gpufleet.events.WorkerReported;
import dev.gpufleet.gateway.routing.RoutingTable.ModelEntry;
import dev.gpufleet.gateway.routing.RoutingTable.Outcome;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;

import static dev.gpufleet.gateway.routing.Events.T0;
import static dev.gpufleet.gateway.routing.Events.envelope;
import static dev.gpufleet.gateway.routing.Events.instanceChanged;
import static dev.gpufleet.gateway.routing.Events.instanceDeleted;
import static dev.gpufleet.gateway.routing.Events.modelChanged;
import static dev.gpufleet.gateway.routing.Events.modelDeleted;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RoutingTableTest {

    /** One message and what applying it must do. */
    record Step(Envelope<EventPayload> event, Outcome outcome) {
    }

    static Step step(Envelope<EventPayload> event, Outcome outcome) {
        return new Step(event, outcome);
    }

    static Stream<Arguments> modelSequences() {
        return Stream.of(
                Arguments.of("a change registers the model",
                        List.of(step(modelChanged("m1", "qwen", 1, 0), Outcome.APPLIED)),
                        List.of("qwen")),
                Arguments.of("a redelivered revision changes nothing",
                        List.of(step(modelChanged("m1", "qwen", 1, 0), Outcome.APPLIED),
                                step(modelChanged("m1", "qwen", 1, 0), Outcome.STALE)),
                        List.of("qwen")),
                Arguments.of("an older revision after a newer one is ignored",
                        List.of(step(modelChanged("m1", "qwen-v2", 2, 5), Outcome.APPLIED),
                                step(modelChanged("m1", "qwen-v1", 1, 0), Outcome.STALE)),
                        List.of("qwen-v2")),
                Arguments.of("a newer revision renames",
                        List.of(step(modelChanged("m1", "qwen", 1, 0), Outcome.APPLIED),
                                step(modelChanged("m1", "qwen-renamed", 2, 5), Outcome.APPLIED)),
                        List.of("qwen-renamed")),
                Arguments.of("a deletion removes the model",
                        List.of(step(modelChanged("m1", "qwen", 1, 0), Outcome.APPLIED),
                                step(modelDeleted("m1", "qwen", 2, 5), Outcome.APPLIED)),
                        List.of()),
                Arguments.of("a late older change after the deletion cannot resurrect it",
                        List.of(step(modelChanged("m1", "qwen", 1, 0), Outcome.APPLIED),
                                step(modelDeleted("m1", "qwen", 3, 9), Outcome.APPLIED),
                                step(modelChanged("m1", "qwen", 2, 5), Outcome.STALE)),
                        List.of()),
                Arguments.of("a deletion of a model never seen still blocks its older changes",
                        List.of(step(modelDeleted("m1", "qwen", 4, 9), Outcome.APPLIED),
                                step(modelChanged("m1", "qwen", 3, 5), Outcome.STALE)),
                        List.of()),
                Arguments.of("a stale deletion does not remove a newer model",
                        List.of(step(modelChanged("m1", "qwen", 5, 9), Outcome.APPLIED),
                                step(modelDeleted("m1", "qwen", 4, 5), Outcome.STALE)),
                        List.of("qwen")),
                Arguments.of("models are listed by name",
                        List.of(step(modelChanged("m3", "zephyr", 1, 0), Outcome.APPLIED),
                                step(modelChanged("m1", "Qwen", 1, 0), Outcome.APPLIED),
                                step(modelChanged("m2", "llama", 1, 0), Outcome.APPLIED)),
                        List.of("Qwen", "llama", "zephyr")),
                Arguments.of("a name reused by a new model while the old id's deletion is late: newest change wins",
                        List.of(step(modelChanged("m1", "qwen", 1, 0), Outcome.APPLIED),
                                step(modelChanged("m2", "qwen", 1, 7), Outcome.APPLIED),
                                step(modelDeleted("m1", "qwen", 2, 5), Outcome.APPLIED)),
                        List.of("qwen")),
                Arguments.of("events the table cannot use are unusable",
                        List.of(step(envelope(new WorkerReported("w-1", "n", "10.0.0.1", 10150, "linux", "amd64",
                                        Map.of(), 1, 0, 1, 0, List.of(), null, null, List.of(), 5), 1, 0),
                                        Outcome.UNUSABLE),
                                step(envelope(new ModelChanged("m9", null, null, null, null), 1, 0), Outcome.UNUSABLE)),
                        List.of()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("modelSequences")
    void appliesOnlyNewerRevisions(String label, List<Step> steps, List<String> listedNames) {
        RoutingTable table = new RoutingTable();
        for (Step step : steps) {
            assertEquals(step.outcome(), table.apply(step.event()), step.event().toString());
        }
        assertEquals(listedNames, table.models().stream().map(ModelEntry::name).toList());
    }

    @Test
    void createdIsTheFirstChangeSeenAndSurvivesLaterChanges() {
        RoutingTable table = new RoutingTable();
        table.apply(modelChanged("m1", "qwen", 1, 10));
        table.apply(modelChanged("m1", "qwen", 2, 20));

        ModelEntry entry = table.model("qwen").orElseThrow();
        assertEquals(T0.plusSeconds(10), entry.created());
        assertEquals(T0.plusSeconds(20), entry.changedAt());
        assertEquals(2, entry.revision());
    }

    @Test
    void theRegistrysCreationTimeWinsAndSurvivesCompaction() {
        Instant registered = T0.minusSeconds(3600);
        RoutingTable running = new RoutingTable();
        running.apply(modelChangedCreatedAt("m1", "qwen", 1, 10, registered));
        running.apply(modelChangedCreatedAt("m1", "qwen", 2, 20, registered));
        RoutingTable restarted = new RoutingTable(); // compaction kept only revision 2
        restarted.apply(modelChangedCreatedAt("m1", "qwen", 2, 20, registered));

        assertEquals(registered, running.model("qwen").orElseThrow().created());
        assertEquals(registered, restarted.model("qwen").orElseThrow().created());
    }

    private static Envelope<EventPayload> modelChangedCreatedAt(String id, String name, long revision, long atSecond,
                                                                Instant createdAt) {
        return new Envelope<>(java.util.UUID.randomUUID(), "ModelChanged", T0.plusSeconds(atSecond), 1, revision,
                new ModelChanged(id, Events.spec(name), ModelAnalysis.pending(), null, createdAt));
    }

    @Test
    void aModelRecreatedAfterItsDeletionStartsAFreshCreatedTime() {
        RoutingTable table = new RoutingTable();
        table.apply(modelChanged("m1", "qwen", 1, 10));
        table.apply(modelDeleted("m1", "qwen", 2, 20));
        assertEquals(Outcome.APPLIED, table.apply(modelChanged("m1", "qwen", 3, 30)));

        assertEquals(T0.plusSeconds(30), table.model("qwen").orElseThrow().created());
    }

    @Test
    void theReasonForAnUnusableEventIsNamed() {
        assertEquals(Optional.of("ModelChanged m9 has no spec.name"),
                RoutingTable.problemWith(new ModelChanged("m9", null, null, null, null)));
        assertEquals(Optional.of("WorkerReported does not belong on a topic the gateway reads"),
                RoutingTable.problemWith(new WorkerReported("w", "n", "a", 1, "linux", "amd64", Map.of(), 1, 0, 1,
                        0, List.of(), null, null, List.of(), 5)));
    }

    static Stream<Arguments> instanceSequences() {
        return Stream.of(
                Arguments.of("running with an endpoint is routable",
                        List.of(instanceChanged("i1", "m1", InstanceState.RUNNING, "10.0.0.5:40000", 1)),
                        List.of("i1")),
                Arguments.of("not yet running is not",
                        List.of(instanceChanged("i1", "m1", InstanceState.STARTING, "10.0.0.5:40000", 1)),
                        List.of()),
                Arguments.of("running without an endpoint is not",
                        List.of(instanceChanged("i1", "m1", InstanceState.RUNNING, null, 1)),
                        List.of()),
                Arguments.of("another model's instance is not",
                        List.of(instanceChanged("i1", "m2", InstanceState.RUNNING, "10.0.0.5:40000", 1)),
                        List.of()),
                Arguments.of("an error after running stops routing",
                        List.of(instanceChanged("i1", "m1", InstanceState.RUNNING, "10.0.0.5:40000", 1),
                                instanceChanged("i1", "m1", InstanceState.ERROR, null, 2)),
                        List.of()),
                Arguments.of("a late RUNNING older than the error is ignored",
                        List.of(instanceChanged("i1", "m1", InstanceState.ERROR, null, 2),
                                instanceChanged("i1", "m1", InstanceState.RUNNING, "10.0.0.5:40000", 1)),
                        List.of()),
                Arguments.of("a deleted instance stays gone when an older change arrives late",
                        List.of(instanceChanged("i1", "m1", InstanceState.RUNNING, "10.0.0.5:40000", 1),
                                instanceDeleted("i1", "m1", 3),
                                instanceChanged("i1", "m1", InstanceState.RUNNING, "10.0.0.5:40000", 2)),
                        List.of()),
                Arguments.of("several, in id order",
                        List.of(instanceChanged("i2", "m1", InstanceState.RUNNING, "10.0.0.6:40000", 1),
                                instanceChanged("i1", "m1", InstanceState.RUNNING, "10.0.0.5:40000", 1),
                                instanceChanged("i3", "m1", InstanceState.PENDING, null, 1)),
                        List.of("i1", "i2")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("instanceSequences")
    void routesOnlyToRunningInstancesWithAnEndpoint(String label, List<Envelope<EventPayload>> events,
                                                    List<String> routable) {
        RoutingTable table = new RoutingTable();
        table.apply(modelChanged("m1", "qwen", 1, 0));
        table.apply(modelChanged("m2", "llama", 1, 0));
        events.forEach(table::apply);

        assertEquals(routable, table.routableInstances("qwen").stream().map(InstanceChanged::instanceId).toList());
    }

    /** The answers are computed once per change: asked between changes, each answer still follows the last one. */
    @Test
    void answersFollowEveryChangeWhenAskedBetweenThem() {
        RoutingTable table = new RoutingTable();
        record Expect(Envelope<EventPayload> event, List<String> models, List<String> routableQwen) {
        }
        List<Expect> steps = List.of(
                new Expect(modelChanged("m1", "qwen", 1, 0), List.of("qwen"), List.of()),
                new Expect(instanceChanged("i2", "m1", InstanceState.RUNNING, "10.0.0.6:40000", 1), List.of("qwen"),
                        List.of("i2")),
                new Expect(instanceChanged("i1", "m1", InstanceState.RUNNING, "10.0.0.5:40000", 1), List.of("qwen"),
                        List.of("i1", "i2")),
                new Expect(instanceChanged("i2", "m1", InstanceState.UNREACHABLE, "10.0.0.6:40000", 2),
                        List.of("qwen"), List.of("i1")),
                new Expect(modelChanged("m1", "qwen-2", 2, 5), List.of("qwen-2"), List.of()),
                new Expect(modelChanged("m1", "qwen", 3, 6), List.of("qwen"), List.of("i1")),
                new Expect(instanceDeleted("i1", "m1", 3), List.of("qwen"), List.of()),
                new Expect(modelDeleted("m1", "qwen", 4, 9), List.of(), List.of()));
        for (Expect step : steps) {
            table.apply(step.event());
            String after = step.event().payload().toString();
            assertEquals(step.models(), table.models().stream().map(ModelEntry::name).toList(), after);
            assertEquals(step.routableQwen(), table.routableInstances("qwen").stream()
                    .map(InstanceChanged::instanceId).toList(), after);
            assertEquals(!step.models().isEmpty() && step.models().get(0).equals("qwen"),
                    table.model("qwen").isPresent(), after);
        }
    }

    @Test
    void noInstancesForAnUnknownOrDeletedModel() {
        RoutingTable table = new RoutingTable();
        table.apply(modelChanged("m1", "qwen", 1, 0));
        table.apply(instanceChanged("i1", "m1", InstanceState.RUNNING, "10.0.0.5:40000", 1));
        table.apply(modelDeleted("m1", "qwen", 2, 5));

        assertEquals(List.of(), table.routableInstances("qwen"));
        assertEquals(List.of(), table.routableInstances("nope"));
    }

    /** What a gateway saw while running: redeliveries, renames, a deletion, instances coming and going. */
    static List<Envelope<EventPayload>> recordedTopics() {
        return List.of(
                modelChanged("m1", "qwen", 1, 0),
                modelChanged("m2", "llama", 1, 1),
                instanceChanged("i1", "m1", InstanceState.PENDING, null, 1),
                modelChanged("m1", "qwen", 2, 2),
                instanceChanged("i1", "m1", InstanceState.STARTING, null, 2),
                modelChanged("m1", "qwen", 2, 2),
                instanceChanged("i1", "m1", InstanceState.RUNNING, "10.0.0.5:40000", 3),
                modelChanged("m3", "zephyr", 1, 3),
                instanceChanged("i2", "m2", InstanceState.RUNNING, "10.0.0.6:40000", 4),
                modelDeleted("m3", "zephyr", 2, 4),
                modelChanged("m2", "llama-3", 2, 5),
                instanceDeleted("i2", "m2", 5),
                instanceChanged("i1", "m1", InstanceState.RUNNING, "10.0.0.5:40000", 3));
    }

    @Test
    void replayingTheTopicsFromOffsetZeroRebuildsTheSameTable() {
        RoutingTable running = new RoutingTable();
        recordedTopics().forEach(running::apply);

        RoutingTable restarted = new RoutingTable();
        recordedTopics().forEach(restarted::apply);
        recordedTopics().forEach(restarted::apply); // and reading it all again changes nothing

        assertEquals(running.snapshot(), restarted.snapshot());
        assertEquals(List.of("llama-3", "qwen"), restarted.models().stream().map(ModelEntry::name).toList());
        assertEquals(List.of("i1"), restarted.routableInstances("qwen").stream()
                .map(InstanceChanged::instanceId).toList());
    }

    @Test
    void aCompactedTopicRebuildsTheSameModelsAndRoutes() {
        RoutingTable running = new RoutingTable();
        recordedTopics().forEach(running::apply);

        // compaction keeps the last message per key; a shuffle across keys stands for other partitions' order
        Map<String, Envelope<EventPayload>> lastPerKey = new LinkedHashMap<>();
        recordedTopics().forEach(event -> lastPerKey.put(event.payload().getClass().getSimpleName()
                .startsWith("Model") ? "model:" + event.key() : "instance:" + event.key(), event));
        List<Envelope<EventPayload>> compacted = new ArrayList<>(lastPerKey.values());
        Collections.shuffle(compacted, new Random(42));
        RoutingTable restarted = new RoutingTable();
        compacted.forEach(restarted::apply);

        assertEquals(names(running), names(restarted));
        assertEquals(running.routableInstances("qwen"), restarted.routableInstances("qwen"));
        assertEquals(running.routableInstances("llama-3"), restarted.routableInstances("llama-3"));
        // what compaction erased: qwen's first change, so its created time is now that of the change kept
        assertEquals(T0, running.model("qwen").orElseThrow().created());
        assertEquals(T0.plusSeconds(2), restarted.model("qwen").orElseThrow().created());
        assertTrue(restarted.snapshot().instances().get("i2").deleted());
    }

    private static List<String> names(RoutingTable table) {
        return table.models().stream().map(entry -> entry.modelId() + "=" + entry.name()).toList();
    }

    @Test
    void deletionMarkersKeepLateOlderChangesOutAndAreForgottenADayLater() {
        Instant[] now = {Instant.parse("2026-03-01T10:00:00Z")};
        java.time.Clock clock = new java.time.Clock() {
            @Override
            public java.time.ZoneId getZone() {
                return java.time.ZoneOffset.UTC;
            }

            @Override
            public java.time.Clock withZone(java.time.ZoneId zone) {
                throw new UnsupportedOperationException();
            }

            @Override
            public Instant instant() {
                return now[0];
            }
        };
        RoutingTable table = new RoutingTable(clock);
        table.apply(modelChanged("m1", "qwen", 1, 0));
        table.apply(instanceChanged("i1", "m1", InstanceState.RUNNING, "http://a:1", 1));
        table.apply(instanceDeleted("i1", "m1", 2));
        table.apply(modelChanged("m2", "gone", 1, 0));
        table.apply(modelDeleted("m2", "gone", 2, 1));

        assertEquals(Outcome.STALE, table.apply(instanceChanged("i1", "m1", InstanceState.RUNNING, "http://a:1", 1)));
        assertEquals(Outcome.STALE, table.apply(modelChanged("m2", "gone", 1, 0)));
        assertEquals(List.of(), table.routableInstances("qwen"));
        assertEquals(2, table.markers());

        now[0] = now[0].plus(RoutingTable.DELETED_RETENTION).minusSeconds(61);
        table.apply(modelChanged("m3", "other", 1, 0));
        assertEquals(2, table.markers(), "kept for a day");
        now[0] = now[0].plusSeconds(62);
        table.apply(modelChanged("m4", "another", 1, 0));
        assertEquals(0, table.markers(), "forgotten after a day: the table does not grow with every deletion");
        assertEquals(List.of("another", "other", "qwen"), table.models().stream().map(ModelEntry::name).toList());
    }
}
