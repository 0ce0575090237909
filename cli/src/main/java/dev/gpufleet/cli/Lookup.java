package dev.gpufleet.cli;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;
import java.util.regex.Pattern;

/**
 * Finds what a command names by name or by id, the way people name things: models, instances, workers and users
 * by their (unique) names, keys by id or by a name only one key has.
 */
final class Lookup {
    private static final Pattern UUID = Pattern.compile(
            "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

    private final Api api;

    Lookup(Api api) {
        this.api = api;
    }

    JsonNode model(String nameOrId) {
        for (JsonNode model : api.list("/api/v1/models?search=" + Api.encode(nameOrId))) {
            if (nameOrId.equals(Json.text(model, "name"))) {
                return model;
            }
        }
        if (isUuid(nameOrId)) {
            return api.get("/api/v1/models/" + nameOrId);
        }
        throw CliException.notFound("no model named '" + nameOrId + "' ('gpufleet models list' shows them)");
    }

    JsonNode instance(String nameOrId) {
        if (isUuid(nameOrId)) {
            return api.get("/api/v1/instances/" + nameOrId);
        }
        JsonNode found = byNameOrId(api.list("/api/v1/instances"), nameOrId);
        if (found == null) {
            throw CliException.notFound("no instance named '" + nameOrId
                    + "' ('gpufleet instances list' shows them)");
        }
        // the single instance's view adds what the list leaves out (why a PENDING one fits nowhere)
        return api.get("/api/v1/instances/" + Json.text(found, "id"));
    }

    JsonNode worker(String nameOrId) {
        JsonNode found = byNameOrId(api.list("/api/v1/workers"), nameOrId);
        if (found == null) {
            throw CliException.notFound("no worker named '" + nameOrId + "' ('gpufleet workers list' shows them)");
        }
        return found;
    }

    JsonNode user(String nameOrId) {
        JsonNode found = byNameOrId(api.list("/api/v1/users"), nameOrId);
        if (found == null) {
            throw CliException.notFound("no user named '" + nameOrId + "' ('gpufleet users list' shows them)");
        }
        return found;
    }

    JsonNode key(String idOrName) {
        List<JsonNode> keys = api.list("/api/v1/api-keys");
        for (JsonNode key : keys) {
            if (idOrName.equals(Json.text(key, "id"))) {
                return key;
            }
        }
        List<JsonNode> named = keys.stream().filter(k -> idOrName.equals(Json.text(k, "name"))).toList();
        if (named.isEmpty()) {
            throw CliException.notFound("no API key with id or name '" + idOrName
                    + "' ('gpufleet keys list' shows them)");
        }
        if (named.size() > 1) {
            throw CliException.usage(named.size() + " API keys are named '" + idOrName + "': give the id of one ("
                    + String.join(", ", named.stream().map(k -> Json.text(k, "id") + " of "
                    + Json.text(k, "user_name")).toList()) + ")");
        }
        return named.get(0);
    }

    static boolean isUuid(String text) {
        return UUID.matcher(text).matches();
    }

    private static JsonNode byNameOrId(List<JsonNode> items, String nameOrId) {
        for (JsonNode item : items) {
            if (nameOrId.equals(Json.text(item, "name")) || nameOrId.equals(Json.text(item, "id"))) {
                return item;
            }
        }
        return null;
    }
}
