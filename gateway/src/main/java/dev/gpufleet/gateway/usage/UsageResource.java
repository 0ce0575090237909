package dev.gpufleet.gateway.usage;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import dev.gpufleet.kit.http.PageRequest;
import dev.gpufleet.kit.http.PageView;
import dev.gpufleet.gateway.auth.Caller;
import dev.gpufleet.gateway.health.DatabaseUnavailable;
import dev.gpufleet.kit.http.ApiException;
import io.vertx.ext.web.RoutingContext;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.sql.SQLException;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.UUID;

/**
 * {@code GET /api/v1/usage}: tokens and requests per key, model and UTC day, filtered and paged. An admin sees every
 * key's; any other user only its own keys'.
 */
@Path("/api/v1/usage")
@Produces(MediaType.APPLICATION_JSON)
public class UsageResource {

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record UsageView(String keyId, String model, LocalDate day, long promptTokens, long completionTokens,
                            long totalTokens, long requests) {
        static UsageView of(UsageStore.Row row) {
            return new UsageView(row.key().keyId(), row.key().model(), row.key().day(), row.counts().promptTokens(),
                    row.counts().completionTokens(),
                    row.counts().promptTokens() + row.counts().completionTokens(), row.counts().requests());
        }
    }

    private final UsageMeter meter;

    public UsageResource(UsageMeter meter) {
        this.meter = meter;
    }

    /** Blocking (JDBC), so it runs on a worker thread. Counts not yet written are written first. */
    @GET
    public PageView<UsageView> list(RoutingContext ctx, @QueryParam("key_id") String keyId,
                                    @QueryParam("model") String model, @QueryParam("from") String from,
                                    @QueryParam("to") String to, @QueryParam("page") String page,
                                    @QueryParam("per_page") String perPage) {
        Caller caller = Caller.of(ctx);
        PageRequest request = PageRequest.parse(page, perPage);
        LocalDate fromDay = day("from", from);
        LocalDate toDay = day("to", to);
        if (fromDay != null && toDay != null && fromDay.isAfter(toDay)) {
            throw ApiException.badRequest("query parameter 'from' (" + fromDay + ") must not be after 'to' ("
                    + toDay + ")");
        }
        UsageStore.Query query = new UsageStore.Query(blankToNull(keyId), blankToNull(model), fromDay, toDay,
                caller.admin() ? null : UUID.fromString(caller.userId()));
        meter.flush();
        try {
            long total = meter.store().count(query);
            List<UsageView> items = meter.store().find(query, request.offset(), request.perPage()).stream()
                    .map(UsageView::of).toList();
            return PageView.of(items, request, total);
        } catch (SQLException e) {
            throw new DatabaseUnavailable("usage cannot be read now: the database did not answer ("
                    + e.getMessage() + "); retry shortly", e);
        }
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value;
    }

    private static LocalDate day(String name, String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return LocalDate.parse(value.trim());
        } catch (DateTimeParseException e) {
            throw ApiException.badRequest("query parameter '" + name + "' must be a day as YYYY-MM-DD (UTC), was '"
                    + value + "'");
        }
    }
}
