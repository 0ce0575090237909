package dev.gpufleet.registry.models;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import java.util.List;

/** {@code GET /api/v1/models}: {@code {"items": [...], "pagination": {page, per_page, total, total_pages}}}. */
public record ModelPage(List<ModelView> items, Pagination pagination) {

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Pagination(int page, int perPage, long total, long totalPages) {
        static Pagination of(int page, int perPage, long total) {
            return new Pagination(page, perPage, total, (total + perPage - 1) / perPage);
        }
    }
}
