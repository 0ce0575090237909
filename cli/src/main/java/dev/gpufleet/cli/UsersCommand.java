package dev.gpufleet.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.List;

@Command(mixinStandardHelpOptions = true, name = "users", description = "Users (admins only): list, create, disable, enable, delete.")
final class UsersCommand extends GroupCommand {
    /** The subcommands, in the order help lists them (registered by {@link Gpufleet}, only the one named when one is). */
    static final java.util.Map<String, Class<?>> SUBCOMMANDS = GroupCommand.ordered(
            "list", ListUsers.class,
            "create", Create.class,
            "disable", Disable.class,
            "enable", Enable.class,
            "delete", Delete.class);


    @Command(mixinStandardHelpOptions = true, name = "list", description = "Every user.")
    static final class ListUsers extends BaseCommand {
        ListUsers(Context ctx) {
            super(ctx);
        }

        @Override
        public Integer call() {
            List<JsonNode> users = api().list("/api/v1/users");
            if (json()) {
                printJson(Json.array(users));
                return ExitCodes.OK;
            }
            Table table = new Table("ID", "NAME", "ADMIN", "STATUS", "CREATED");
            for (JsonNode u : users) {
                table.row(Json.text(u, "id"), Json.text(u, "name"), u.path("admin").asBoolean() ? "yes" : "no",
                        u.path("disabled").asBoolean() ? "disabled" : "active", Json.text(u, "created_at"));
            }
            out().print(table.render());
            return ExitCodes.OK;
        }
    }

    @Command(mixinStandardHelpOptions = true, name = "create", description = {"Creates a user; then give it a key with 'gpufleet keys create NAME --user USER'."})
    static final class Create extends BaseCommand {
        @Parameters(paramLabel = "NAME", description = "The user's name (unique).")
        String name;

        @Option(names = "--admin", description = "With admin rights (the whole admin API).")
        boolean admin;

        Create(Context ctx) {
            super(ctx);
        }

        @Override
        public Integer call() {
            ObjectNode body = Json.object().put("name", name).put("admin", admin);
            JsonNode user = api().post("/api/v1/users", body);
            if (json()) {
                printJson(user);
            } else {
                out().printf("Created user %s (id %s)%s. Give it a key: gpufleet keys create NAME --user %s%n",
                        Json.text(user, "name"), Json.text(user, "id"), admin ? " with admin rights" : "",
                        Json.text(user, "name"));
            }
            return ExitCodes.OK;
        }
    }

    @Command(mixinStandardHelpOptions = true, name = "disable", description = "The user's keys stop working (until enabled again).")
    static final class Disable extends Change {
        Disable(Context ctx) {
            super(ctx, "disable", "disabled: its keys stop working");
        }
    }

    @Command(mixinStandardHelpOptions = true, name = "enable", description = "The user's keys work again.")
    static final class Enable extends Change {
        Enable(Context ctx) {
            super(ctx, "enable", "enabled: its keys work again");
        }
    }

    @Command(mixinStandardHelpOptions = true, name = "delete", description = "Deletes the user and its keys.")
    static final class Delete extends Change {
        Delete(Context ctx) {
            super(ctx, null, "deleted, with its keys");
        }
    }

    abstract static class Change extends BaseCommand {
        @Parameters(paramLabel = "USER", description = "The user's name or id.")
        String user;

        private final String action;
        private final String done;

        /** @param action the POST under {@code /api/v1/users/{id}/}; null: DELETE the user */
        Change(Context ctx, String action, String done) {
            super(ctx);
            this.action = action;
            this.done = done;
        }

        @Override
        public Integer call() {
            JsonNode u = lookup().user(user);
            String path = "/api/v1/users/" + Api.encode(Json.text(u, "id"));
            JsonNode answer;
            if (action == null) {
                api().delete(path);
                answer = Json.object().put("id", Json.text(u, "id")).put("name", Json.text(u, "name"))
                        .put("deleted", true);
            } else {
                answer = api().post(path + "/" + action, Json.object());
            }
            if (json()) {
                printJson(answer);
            } else {
                out().printf("User %s %s.%n", Json.text(u, "name"), done);
            }
            return ExitCodes.OK;
        }
    }
}
