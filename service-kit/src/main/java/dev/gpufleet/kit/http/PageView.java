package dev.gpufleet.kit.http;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import java.util.List;

/** A list endpoint's body: {@code {"items": [...], "pagination": {"page","per_page","total","total_pages"}}}. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record PageView<T>(List<T> items, Pagination pagination) {

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Pagination(int page, int perPage, long total, long totalPages) {
    }

    public static <T> PageView<T> of(List<T> items, PageRequest request, long total) {
        long totalPages = (total + request.perPage() - 1) / request.perPage();
        return new PageView<>(items, new Pagination(request.page(), request.perPage(), total, totalPages));
    }

    /** One page of a list held whole in memory. */
    public static <T> PageView<T> slice(List<T> all, PageRequest request) {
        int from = (int) Math.min(all.size(), request.offset());
        int to = (int) Math.min(all.size(), from + (long) request.perPage());
        return of(List.copyOf(all.subList(from, to)), request, all.size());
    }
}
