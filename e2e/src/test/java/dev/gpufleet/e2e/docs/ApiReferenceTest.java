package dev.gpufleet.e2e.docs;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The generator and the drift check on a small document; the real documents are checked in EmbeddedDefaultTest. */
class ApiReferenceTest {
    static final String DOCUMENT = """
            {"openapi": "3.1.0", "paths": {
              "/api/v1/workers/{id}/drain": {"post": {"summary": "Drain a worker. Its instances move."}},
              "/api/v1/workers": {"get": {"description": "Lists | pages"}, "post": {}}
            }}""";

    static final String DOC = """
            # API
            Hand-written text stays.
            <!-- api:svc:begin -->
            | method | path | what |
            |---|---|---|
            | `DELETE` | `/api/v1/gone` | old |
            | `POST` | `/api/v1/workers/{id}/drain` | Moves its instances elsewhere, then cordons it. |
            <!-- api:svc:end -->
            More text.
            """;

    @Test
    void regeneratesTheTableAndKeepsTheWrittenText() throws Exception {
        var ops = ApiReference.operations(new ObjectMapper().readTree(DOCUMENT));
        String regenerated = ApiReference.regenerate(DOC, Map.of("svc", ops));
        assertEquals("""
                # API
                Hand-written text stays.
                <!-- api:svc:begin -->
                | method | path | what |
                |---|---|---|
                | `GET` | `/api/v1/workers` | Lists \\| pages |
                | `POST` | `/api/v1/workers` |  |
                | `POST` | `/api/v1/workers/{id}/drain` | Moves its instances elsewhere, then cordons it. |
                <!-- api:svc:end -->
                More text.
                """, regenerated);
        assertEquals(List.of(), ApiReference.drift(regenerated, Map.of("svc", ops)));
    }

    @Test
    void aNewOperationGetsTheDocumentsSummary() throws Exception {
        var ops = ApiReference.operations(new ObjectMapper().readTree(DOCUMENT));
        String regenerated = ApiReference.regenerate(DOC.replace("| `POST` | `/api/v1/workers/{id}/drain` | Moves its"
                + " instances elsewhere, then cordons it. |\n", ""), Map.of("svc", ops));
        assertEquals(true, regenerated.contains("| `POST` | `/api/v1/workers/{id}/drain` | Drain a worker. |"),
                regenerated);
    }

    @Test
    void driftNamesWhatIsMissingOnEitherSide() throws Exception {
        var ops = ApiReference.operations(new ObjectMapper().readTree(DOCUMENT));
        assertEquals(List.of(
                "svc serves GET /api/v1/workers, which docs/api.md does not list",
                "svc serves POST /api/v1/workers, which docs/api.md does not list",
                "docs/api.md lists svc DELETE /api/v1/gone, which its OpenAPI document lacks"),
                ApiReference.drift(DOC, Map.of("svc", ops)));
    }
}
