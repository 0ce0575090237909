package dev.gpufleet.gateway.audit;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Which admin API calls are recorded actions, and what each names; reads and dry runs are not. */
class AuditSubjectTest {
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', nullValues = "-", value = {
            "POST   | /api/v1/models                      | create    | model    | -",
            "PUT    | /api/v1/models/m-1                  | update    | model    | m-1",
            "DELETE | /api/v1/models/m-1                  | delete    | model    | m-1",
            "POST   | /api/v1/users                       | create    | user     | -",
            "POST   | /api/v1/users/u-1/disable           | disable   | user     | u-1",
            "DELETE | /api/v1/users/u-1                   | delete    | user     | u-1",
            "PUT    | /api/v1/users/u-1/limits            | set-limits | user    | u-1",
            "POST   | /api/v1/api-keys                    | create    | api_key  | -",
            "POST   | /api/v1/api-keys/k1/revoke          | revoke    | api_key  | k1",
            "POST   | /api/v1/api-keys/k1/expire          | expire    | api_key  | k1",
            "POST   | /api/v1/workers/w-1/cordon          | cordon    | worker   | w-1",
            "POST   | /api/v1/workers/w-1/drain           | drain     | worker   | w-1",
            "POST   | /api/v1/workers/w-1/uncordon        | uncordon  | worker   | w-1",
            "DELETE | /api/v1/workers/w-1                 | delete    | worker   | w-1",
            "POST   | /api/v1/instances/i-1/restart       | restart   | instance | i-1",
            "DELETE | /api/v1/model-files/w-1:00000000000000a1 | delete | model_files | w-1:00000000000000a1",
            // reads, dry runs, things that are not a change of an entity
            "GET    | /api/v1/models                      | -         | -        | -",
            "GET    | /api/v1/models/m-1                  | -         | -        | -",
            "POST   | /api/v1/model-evaluations           | -         | -        | -",
            "POST   | /api/v1/placement-evaluations       | -         | -        | -",
            "GET    | /api/v1/audit-events                | -         | -        | -",
            "POST   | /api/v1/models/m-1                  | -         | -        | -",
            "PUT    | /api/v1/models                      | -         | -        | -",
            "DELETE | /api/v1/models                      | -         | -        | -",
            "POST   | /api/v1/models//cordon              | -         | -        | -",
            "POST   | /api/v1/workers/w-1/a/b             | -         | -        | -",
            "POST   | /api/v1/workers/w-1/Cordon          | -         | -        | -",
            "POST   | /v1/chat/completions                | -         | -        | -",
    })
    void namesTheActionKindAndEntity(String method, String path, String action, String kind, String id) {
        Optional<AuditSubject> expected = action == null ? Optional.empty()
                : Optional.of(new AuditSubject(action, kind, id));
        assertEquals(expected, AuditSubject.of(method, path));
    }
}
