package dev.gpufleet.gateway.auth;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import java.util.List;

/** A list answer: {@code {"items": [...], "pagination": {page, per_page, total, total_pages}}}. */
public record Page<T>(List<T> items, Pagination pagination) {

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Pagination(int page, int perPage, long total, long totalPages) {
        static Pagination of(int page, int perPage, long total) {
            return new Pagination(page, perPage, total, (total + perPage - 1) / perPage);
        }
    }

    static <T> Page<T> of(List<T> items, int page, int perPage, long total) {
        return new Page<>(items, Pagination.of(page, perPage, total));
    }
}
