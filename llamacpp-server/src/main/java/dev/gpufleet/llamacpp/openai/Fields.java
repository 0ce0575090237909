package dev.gpufleet.llamacpp.openai;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/** Typed reads of request fields; a wrong value is a 400 naming the field and what it accepts. */
final class Fields {

    private Fields() {
    }

    static boolean present(JsonNode body, String field) {
        JsonNode v = body.get(field);
        return v != null && !v.isNull();
    }

    static OptionalInt positiveInt(JsonNode body, String field) throws ApiError {
        if (!present(body, field)) {
            return OptionalInt.empty();
        }
        JsonNode v = body.get(field);
        if (!v.canConvertToInt() || !v.isIntegralNumber() || v.intValue() < 1) {
            throw ApiError.badRequest(field + " must be a positive integer, got " + v);
        }
        return OptionalInt.of(v.intValue());
    }

    /** llama.cpp takes a 32-bit seed; larger values keep their low 32 bits. */
    static OptionalInt seed(JsonNode body, String field) throws ApiError {
        if (!present(body, field)) {
            return OptionalInt.empty();
        }
        JsonNode v = body.get(field);
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw ApiError.badRequest(field + " must be an integer, got " + v);
        }
        return OptionalInt.of((int) v.longValue());
    }

    static Optional<Float> number(JsonNode body, String field, double min, double max) throws ApiError {
        if (!present(body, field)) {
            return Optional.empty();
        }
        JsonNode v = body.get(field);
        if (!v.isNumber() || !Double.isFinite(v.doubleValue()) || v.doubleValue() < min || v.doubleValue() > max) {
            throw ApiError.badRequest(field + " must be a number from " + fmt(min) + " to " + fmt(max) + ", got " + v);
        }
        return Optional.of(v.floatValue());
    }

    static boolean bool(JsonNode body, String field) throws ApiError {
        if (!present(body, field)) {
            return false;
        }
        JsonNode v = body.get(field);
        if (!v.isBoolean()) {
            throw ApiError.badRequest(field + " must be true or false, got " + v);
        }
        return v.booleanValue();
    }

    static Optional<String> string(JsonNode body, String field) throws ApiError {
        if (!present(body, field)) {
            return Optional.empty();
        }
        JsonNode v = body.get(field);
        if (!v.isTextual()) {
            throw ApiError.badRequest(field + " must be a string, got " + v);
        }
        return Optional.of(v.textValue());
    }

    /** OpenAI's "stop": a string or an array of up to 4 strings. */
    static List<String> stop(JsonNode body) throws ApiError {
        if (!present(body, "stop")) {
            return List.of();
        }
        JsonNode v = body.get("stop");
        List<String> stops = new ArrayList<>();
        if (v.isTextual()) {
            stops.add(v.textValue());
        } else if (v.isArray()) {
            for (JsonNode s : v) {
                if (!s.isTextual()) {
                    throw ApiError.badRequest("stop must be a string or an array of strings, got " + v);
                }
                stops.add(s.textValue());
            }
        } else {
            throw ApiError.badRequest("stop must be a string or an array of strings, got " + v);
        }
        if (stops.size() > 4 || stops.stream().anyMatch(String::isEmpty)) {
            throw ApiError.badRequest("stop takes 1 to 4 non-empty strings");
        }
        return List.copyOf(stops);
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
    }
}
