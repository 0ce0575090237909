package dev.gpufleet.chaos.faults;

import dev.gpufleet.chaos.fleet.EventLog;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

class InstanceAuditTest {

    private static EventLog.Stored changed(long offset, long timestamp, String instance, String model, long revision,
                                           String state) {
        return new EventLog.Stored("gpufleet.instances", 0, offset, timestamp, instance,
                "{\"eventId\":\"e" + offset + "\",\"type\":\"InstanceChanged\",\"occurredAt\":\"2026-12-07T10:00:00Z\","
                        + "\"version\":1,\"revision\":" + revision + ",\"payload\":{\"instanceId\":\"" + instance
                        + "\",\"modelId\":\"" + model + "\",\"state\":\"" + state + "\"}}");
    }

    @Test
    void anInstanceIsCreatedWhenItsFirstChangeWasPublished() {
        InstanceAudit audit = InstanceAudit.of(List.of(
                changed(0, 100, "a", "m", 1, "PENDING"),
                changed(1, 200, "b", "m", 1, "PENDING"),
                changed(2, 300, "a", "m", 2, "RUNNING"),
                changed(3, 300, "c", "other", 1, "PENDING"),
                new EventLog.Stored("gpufleet.instances", 0, 4, 300, "d", null),
                new EventLog.Stored("gpufleet.instances", 0, 5, 300, "x", "{not json")));
        assertEquals(Set.of("b"), audit.createdSince("m", 150));
        assertEquals(Set.of("a", "b"), audit.createdSince("m", 0));
    }

    @Test
    void aRevisionRepeatedWithTheSameContentIsARedeliveryWithOtherContentASecondWriter() {
        InstanceAudit audit = InstanceAudit.of(List.of(
                changed(0, 100, "a", "m", 1, "PENDING"),
                changed(1, 200, "a", "m", 2, "SCHEDULED"),
                changed(2, 210, "a", "m", 2, "SCHEDULED"),
                changed(3, 300, "a", "m", 3, "RUNNING"),
                changed(4, 310, "a", "m", 3, "ERROR"),
                changed(5, 320, "a", "m", 2, "SCHEDULED")));
        assertEquals(List.of("instance a revision 3 published with two different contents",
                "instance a: revision 2 after 3"), audit.conflictsSince(0));
        assertEquals(List.of(), audit.conflictsSince(400));
    }
}
