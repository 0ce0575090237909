package dev.gpufleet.chaos.faults;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gpufleet.chaos.fleet.EventLog;
import dev.gpufleet.chaos.fleet.Http;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the scheduler published on {@code gpufleet.instances}, read back: which instances a model got after a
 * moment, and whether two different changes of one instance ever shared a revision (two writers) or a revision went
 * back. A revision published twice with the same content is at-least-once delivery, not a second writer. Pure over
 * the records it is given.
 */
public final class InstanceAudit {
    /** One published change: its instance, model, revision and content without the envelope's id and time. */
    record Change(String instanceId, String modelId, long revision, long timestamp, String content) {
    }

    private final List<Change> changes;

    private InstanceAudit(List<Change> changes) {
        this.changes = changes;
    }

    public static InstanceAudit of(List<EventLog.Stored> records) {
        List<Change> changes = new ArrayList<>();
        for (EventLog.Stored r : records) {
            if (r.value() == null) {
                continue;
            }
            try {
                JsonNode envelope = Http.JSON.readTree(r.value());
                if (!"InstanceChanged".equals(envelope.path("type").asText())) {
                    continue;
                }
                JsonNode payload = envelope.path("payload");
                String instanceId = payload.path("instanceId").asText(null);
                if (instanceId == null) {
                    continue;
                }
                ObjectNode content = payload.deepCopy();
                changes.add(new Change(instanceId, payload.path("modelId").asText(null),
                        envelope.path("revision").asLong(), r.timestamp(), content.toString()));
            } catch (IOException e) {
                // not an event: the dead-letter rows count those
            }
        }
        return new InstanceAudit(changes);
    }

    /** Instances of the model first published at or after {@code sinceMillis}. */
    public Set<String> createdSince(String modelId, long sinceMillis) {
        Map<String, Long> first = new LinkedHashMap<>();
        for (Change c : changes) {
            if (modelId.equals(c.modelId())) {
                first.merge(c.instanceId(), c.timestamp(), Math::min);
            }
        }
        Set<String> created = new LinkedHashSet<>();
        first.forEach((id, t) -> {
            if (t >= sinceMillis) {
                created.add(id);
            }
        });
        return created;
    }

    /** "instance X revision 7: two different contents", "instance X: revision 5 after 6", for changes since then. */
    public List<String> conflictsSince(long sinceMillis) {
        List<String> conflicts = new ArrayList<>();
        Map<String, Map<Long, String>> seen = new HashMap<>();
        Map<String, Long> last = new HashMap<>();
        for (Change c : changes) {
            Map<Long, String> byRevision = seen.computeIfAbsent(c.instanceId(), k -> new HashMap<>());
            String earlier = byRevision.putIfAbsent(c.revision(), c.content());
            boolean recent = c.timestamp() >= sinceMillis;
            if (recent && earlier != null && !earlier.equals(c.content())) {
                conflicts.add("instance " + c.instanceId() + " revision " + c.revision()
                        + " published with two different contents");
            }
            Long previous = last.put(c.instanceId(), c.revision());
            if (recent && previous != null && c.revision() < previous) {
                conflicts.add("instance " + c.instanceId() + ": revision " + c.revision() + " after " + previous);
            }
        }
        return conflicts;
    }
}
