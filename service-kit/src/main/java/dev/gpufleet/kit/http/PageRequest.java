package dev.gpufleet.kit.http;

/** {@code ?page=&per_page=} of a list endpoint, checked the same in every service; pages count from 1. */
public record PageRequest(int page, int perPage) {
    public static final int DEFAULT_PER_PAGE = 100;
    public static final int MAX_PER_PAGE = 500;

    public static PageRequest parse(String page, String perPage) {
        return new PageRequest(parse("page", page, 1, 1, Integer.MAX_VALUE),
                parse("per_page", perPage, DEFAULT_PER_PAGE, 1, MAX_PER_PAGE));
    }

    /** Items before this page. */
    public long offset() {
        return (long) (page - 1) * perPage;
    }

    /** For Panache, whose pages count from 0. */
    public int index() {
        return page - 1;
    }

    private static int parse(String name, String value, int defaultValue, int min, int max) {
        if (value == null || value.isBlank()) {
            return defaultValue;
        }
        try {
            int parsed = Integer.parseInt(value.trim());
            if (parsed >= min && parsed <= max) {
                return parsed;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw ApiException.badRequest("query parameter '" + name + "' must be an integer from " + min
                + (max == Integer.MAX_VALUE ? " up" : " to " + max) + ", was '" + value + "'");
    }
}
