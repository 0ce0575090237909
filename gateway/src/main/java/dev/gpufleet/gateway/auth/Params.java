package dev.gpufleet.gateway.auth;

import dev.gpufleet.kit.http.ApiException;

import java.util.UUID;
import java.util.regex.Pattern;

/** Checks of admin API input; each failure names the field and what it accepts. */
final class Params {
    static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@-]{0,63}");

    private Params() {
    }

    static String name(String field, String value) {
        if (value == null || !NAME.matcher(value).matches()) {
            throw ApiException.badRequest(field + ": must be 1 to 64 characters of letters, digits and . _ @ -, "
                    + "starting with a letter or digit; was " + (value == null ? "missing" : "'" + value + "'"));
        }
        return value;
    }

    /** A user id, or null when absent. */
    static String userId(String field, String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return UUID.fromString(value.trim()).toString();
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(field + ": must be a user id (a UUID), was '" + value + "'");
        }
    }

    /** True when the id has a user's shape; anything else cannot exist. */
    static boolean isUuid(String value) {
        try {
            UUID.fromString(value);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
