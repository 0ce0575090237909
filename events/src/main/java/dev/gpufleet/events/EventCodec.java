package dev.gpufleet.events;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.UUID;

/**
 * JSON (de)serialisation of envelopes. Unknown fields are ignored (producers may add fields, DESIGN §2);
 * anything else that does not fit the contract is a {@link MalformedEventException} saying what is wrong.
 */
public final class EventCodec {
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .addModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .build();

    private EventCodec() {
    }

    public static ObjectMapper mapper() {
        return MAPPER;
    }

    public static String encode(Envelope<?> envelope) {
        try {
            return MAPPER.writeValueAsString(envelope);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise " + envelope.type(), e);
        }
    }

    public static Envelope<EventPayload> decode(String json) throws MalformedEventException {
        if (json == null || json.isBlank()) {
            throw new MalformedEventException("empty message");
        }
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new MalformedEventException("not JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new MalformedEventException("not a JSON object");
        }
        String type = text(root, "type");
        Class<? extends EventPayload> payloadClass = EventTypes.byName(type).orElseThrow(() ->
                new MalformedEventException("unknown type '" + type + "'; known: " + EventTypes.names()));
        int version = root.path("version").asInt(-1);
        if (version < 1 || version > Envelope.CURRENT_VERSION) {
            throw new MalformedEventException("version " + root.path("version") + " not supported; this consumer reads 1.."
                    + Envelope.CURRENT_VERSION);
        }
        JsonNode revisionNode = root.get("revision");
        if (revisionNode == null || !revisionNode.canConvertToExactIntegral() || revisionNode.asLong() < 1) {
            throw new MalformedEventException("revision must be an integer >= 1, was " + revisionNode);
        }
        UUID eventId;
        Instant occurredAt;
        try {
            eventId = UUID.fromString(text(root, "eventId"));
            occurredAt = Instant.parse(text(root, "occurredAt"));
        } catch (IllegalArgumentException | DateTimeParseException e) {
            throw new MalformedEventException("bad eventId or occurredAt: " + e.getMessage());
        }
        JsonNode payloadNode = root.get("payload");
        if (payloadNode == null || !payloadNode.isObject()) {
            throw new MalformedEventException("payload missing or not an object");
        }
        EventPayload payload;
        try {
            payload = MAPPER.treeToValue(payloadNode, payloadClass);
        } catch (JsonProcessingException | IllegalArgumentException e) {
            String msg = e instanceof JsonProcessingException jpe ? jpe.getOriginalMessage() : e.getMessage();
            throw new MalformedEventException(type + " payload does not fit the contract: " + msg);
        }
        if (payload.entityId() == null || payload.entityId().isBlank()) {
            throw new MalformedEventException(type + " payload has no entity id");
        }
        return new Envelope<>(eventId, type, occurredAt, version, revisionNode.asLong(), payload);
    }

    public static String encodeDeadLetter(DeadLetter deadLetter) {
        try {
            return MAPPER.writeValueAsString(deadLetter);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise dead letter", e);
        }
    }

    public static DeadLetter decodeDeadLetter(String json) throws MalformedEventException {
        try {
            return MAPPER.readValue(json, DeadLetter.class);
        } catch (JsonProcessingException e) {
            throw new MalformedEventException("not a dead letter: " + e.getOriginalMessage());
        }
    }

    private static String text(JsonNode root, String field) throws MalformedEventException {
        JsonNode node = root.get(field);
        if (node == null || !node.isTextual()) {
            throw new MalformedEventException("field '" + field + "' missing or not a string");
        }
        return node.asText();
    }
}
