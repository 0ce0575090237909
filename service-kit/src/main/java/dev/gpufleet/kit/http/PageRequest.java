package dev.gpufleet.kit.http;

/**
 * {@code ?page=&per_page=} of a list endpoint, one rule for every service: {@code page} counts from 1 and goes up to
 * {@value #MAX_PAGE} (so a row offset stays within an int), {@code per_page} is 1 to {@value #MAX_PER_PAGE}; absent or
 * blank, they are 1 and {@value #DEFAULT_PER_PAGE}. Anything else is a 400 naming the parameter.
 */
public record PageRequest(int page, int perPage) {
    public static final int DEFAULT_PER_PAGE = 100;
    public static final int MAX_PER_PAGE = 500;
    public static final int MAX_PAGE = 1_000_000;

    public static PageRequest parse(String page, String perPage) {
        return new PageRequest(parse("page", page, 1, 1, MAX_PAGE),
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
        throw ApiException.badRequest("query parameter '" + name + "' must be an integer from " + min + " to " + max
                + ", was '" + value + "'");
    }
}
