package dev.gpufleet.kit.http;

/** The admin API's error body: {@code {"code": 409, "reason": "Conflict", "message": "..."}}. */
public record ApiError(int code, String reason, String message) {
}
