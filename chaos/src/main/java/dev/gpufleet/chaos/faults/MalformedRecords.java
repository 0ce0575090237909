package dev.gpufleet.chaos.faults;

import dev.gpufleet.chaos.RowResult;
import dev.gpufleet.chaos.fleet.BackendProcess;
import dev.gpufleet.chaos.fleet.EventLog;
import dev.gpufleet.chaos.fleet.Fleet;
import dev.gpufleet.chaos.fleet.Http;
import dev.gpufleet.chaos.load.LoadStats;
import dev.gpufleet.events.DeadLetter;
import dev.gpufleet.events.EventCodec;
import dev.gpufleet.events.MalformedEventException;
import dev.gpufleet.events.Topics;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * A record that is not an event on each topic the services read, and on {@code gpufleet.workers} a well-formed
 * heartbeat whose worker name holds a NUL byte (PostgreSQL's text columns refuse it: a failure that no retry
 * cures). Each must reach the dead letters, and every consumer must move on: the scheduler's group commits past
 * them, and a model change made afterwards reaches the scheduler, the agents and both gateways.
 */
public final class MalformedRecords implements Fault {
    static final List<String> TOPICS = List.of(Topics.MODELS, Topics.WORKERS, Topics.INSTANCE_STATUS,
            Topics.INSTANCES);
    /** The scheduler-service group reads these. */
    static final List<String> SCHEDULER_TOPICS = List.of(Topics.MODELS, Topics.WORKERS, Topics.INSTANCE_STATUS);
    static final Duration PATIENCE = Duration.ofSeconds(60);

    @Override
    public List<String> rows() {
        return List.of("a malformed record on each topic");
    }

    @Override
    public List<String> expectations() {
        return List.of("dead-lettered; every consumer moves on");
    }

    @Override
    public List<RowResult> run(FaultContext c) {
        Fleet fleet = c.fleet();
        RowResult r = new RowResult(rows().get(0), expectations().get(0));
        EventLog events = fleet.events();
        List<BackendProcess> before = fleet.backends();
        Set<String> idsBefore = c.instanceIds(Fleet.STAND_IN);
        int replicas = fleet.model(Fleet.STAND_IN).replicas();

        long t0 = FaultContext.now();
        List<EventLog.Stored> poison = new ArrayList<>();
        for (String topic : TOPICS) {
            poison.add(events.write(topic, "chaos-malformed", "{\"this is\": not an event"));
        }
        poison.add(events.write(Topics.WORKERS, UUID.randomUUID().toString(), nulHeartbeat()));
        c.log("wrote " + poison.size() + " malformed records");

        String[] last = {""};
        Optional<Duration> deadLettered = FaultContext.await(PATIENCE, Duration.ofSeconds(2), () -> {
            List<String> missing = missingDeadLetters(events, poison);
            return missing.isEmpty() ? Optional.empty() : Optional.of("not in the dead letters: " + missing);
        }, last);
        r.expect(deadLettered.isPresent(), last[0] + " " + PATIENCE.toSeconds() + " s after they were written");
        int lost = deadLettered.isPresent() ? 0 : missingDeadLetters(events, poison).size();

        Optional<Duration> committed = FaultContext.await(PATIENCE, Duration.ofSeconds(2), () -> {
            List<String> behind = new ArrayList<>();
            for (EventLog.Stored p : poison) {
                if (!SCHEDULER_TOPICS.contains(p.topic())) {
                    continue;
                }
                Map<Integer, Long> offsets = events.committed(Fleet.SCHEDULER_GROUP, p.topic());
                long at = offsets.getOrDefault(p.partition(), -1L);
                if (at <= p.offset()) {
                    behind.add(p.topic() + " committed at " + at + ", the malformed record is at " + p.offset());
                }
            }
            return behind.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", behind));
        }, last);
        r.expect(committed.isPresent(), "the scheduler did not move on: " + last[0]);

        long t1 = FaultContext.now();
        Http.Answer change = fleet.scale(Fleet.STAND_IN, replicas + 1, Duration.ofSeconds(20));
        r.expect(change.status() == 200, "scaling " + Fleet.STAND_IN + " after the malformed records: "
                + change.describe());
        Optional<Long> settled = c.settle(r, t1, "the model change after the malformed records");
        if (settled.isPresent()) {
            Set<String> newEndpoints = new java.util.HashSet<>();
            c.running(Fleet.STAND_IN).stream().filter(i -> !idsBefore.contains(i.path("id").asText()))
                    .forEach(i -> newEndpoints.add(i.path("endpoint").asText()));
            for (Fleet.Service gateway : fleet.gateways()) {
                Optional<Duration> routed = FaultContext.await(Duration.ofSeconds(30), Duration.ofMillis(250), () ->
                        c.requests(t1, FaultContext.now(), q -> q.ok()
                                && q.gateway() == fleet.gateways().indexOf(gateway)
                                && newEndpoints.contains(q.servedBy())).isEmpty()
                                ? Optional.of("no answer from the new instance " + newEndpoints)
                                : Optional.empty(), last);
                r.expect(routed.isPresent(), gateway.name() + " did not route to the new instance: " + last[0]);
            }
        }
        r.recovery(Duration.ofMillis(FaultContext.now() - t0));
        long end = FaultContext.now();
        c.load().awaitAnswers();
        LoadStats stats = c.count(r, c.requests(t0, end, q -> true));
        r.expect(stats.failed() == 0, stats.failed() + " of " + stats.sent() + " requests failed: "
                + stats.describeFailures());
        c.judgeBackends(r, before, List.of());
        c.judgeChange(r, Fleet.STAND_IN, t1, idsBefore, 1, 0);
        r.events(lost, r.eventsDoubled() == null ? 0 : r.eventsDoubled());
        return List.of(r);
    }

    /** Each poison record that no dead letter names yet, as "topic@offset". */
    static List<String> missingDeadLetters(EventLog events, List<EventLog.Stored> poison) {
        List<DeadLetter> letters = new ArrayList<>();
        for (EventLog.Stored s : events.readAll(Topics.DEAD_LETTER)) {
            try {
                letters.add(EventCodec.decodeDeadLetter(s.value()));
            } catch (MalformedEventException | RuntimeException e) {
                // a dead letter that is not one: not ours to judge
            }
        }
        List<String> missing = new ArrayList<>();
        for (EventLog.Stored p : poison) {
            boolean found = letters.stream().anyMatch(d -> p.topic().equals(d.topic()) && d.offset() == p.offset()
                    && d.partition() == p.partition());
            if (!found) {
                missing.add(p.topic() + "@" + p.offset());
            }
        }
        return missing;
    }

    /**
     * A heartbeat as the contract writes it, of a worker that is not ready (nothing may be placed on it should a
     * consumer take it), whose name holds a NUL byte.
     */
    static String nulHeartbeat() {
        String workerId = UUID.randomUUID().toString();
        return "{\"eventId\":\"" + UUID.randomUUID() + "\",\"type\":\"WorkerReported\",\"occurredAt\":\""
                + Instant.now() + "\",\"version\":1,\"revision\":1,\"payload\":{\"workerId\":\"" + workerId
                + "\",\"name\":\"poison\\u0000worker\",\"address\":\"192.0.2.1\",\"agentPort\":10150,\"os\":\"linux\","
                + "\"arch\":\"amd64\",\"labels\":{\"fleet\":\"poison\"},\"cpuCores\":1,\"cpuUtilizationPercent\":0,"
                + "\"memoryTotalBytes\":0,\"memoryUsedBytes\":0,\"gpus\":[],\"state\":\"NOT_READY\","
                + "\"stateMessage\":\"written by the fault-injection suite\",\"instances\":[],"
                + "\"heartbeatIntervalSeconds\":1}}";
    }
}
