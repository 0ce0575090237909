package dev.gpufleet.gateway.audit;

import java.util.Map;
import java.util.Optional;

/**
 * What a call to the admin API did, from its method and path alone: an action (create, update, delete, or the verb
 * at the end of the path: cordon, drain, revoke, ...), the kind of entity and its id when the path names one. Reads
 * and dry runs (evaluations) are not actions; neither is anything outside the collections below.
 *
 * @param id null for a creation (the new id comes from the answer) or a collection-wide action
 */
public record AuditSubject(String action, String kind, String id) {
    /** The collections under /api/v1 whose changes are recorded, and the kind each holds. */
    static final Map<String, String> KINDS = Map.of(
            "models", "model",
            "users", "user",
            "api-keys", "api_key",
            "workers", "worker",
            "instances", "instance",
            "model-files", "model_files",
            "scheduler", "scheduler");

    public static Optional<AuditSubject> of(String method, String path) {
        if (method == null || path == null || !path.startsWith("/api/v1/")) {
            return Optional.empty();
        }
        String[] parts = path.substring("/api/v1/".length()).split("/", -1);
        String kind = KINDS.get(parts[0]);
        if (kind == null || parts.length > 3 || (parts.length > 1 && parts[1].isEmpty())) {
            return Optional.empty();
        }
        String id = parts.length > 1 ? parts[1] : null;
        String verb = parts.length > 2 ? parts[2] : null;
        if (verb != null && (verb.isEmpty() || !verb.chars().allMatch(c -> c >= 'a' && c <= 'z' || c == '-'))) {
            return Optional.empty();
        }
        String action = switch (method) {
            case "POST" -> verb != null ? verb : id == null ? "create" : null;
            case "PUT", "PATCH" -> verb != null ? "set-" + verb : id != null ? "update" : null;
            case "DELETE" -> verb == null && id != null ? "delete" : null;
            default -> null;
        };
        return action == null ? Optional.empty() : Optional.of(new AuditSubject(action, kind, id));
    }
}
