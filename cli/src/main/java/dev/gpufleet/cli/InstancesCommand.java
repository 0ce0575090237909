package dev.gpufleet.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.time.Instant;
import java.util.List;
import java.util.Locale;

@Command(mixinStandardHelpOptions = true, name = "instances", description = "Instances (one per replica): list, show.")
final class InstancesCommand extends GroupCommand {
    /** The subcommands, in the order help lists them (registered by {@link Gpufleet}, only the one named when one is). */
    static final java.util.Map<String, Class<?>> SUBCOMMANDS = GroupCommand.ordered(
            "list", ListInstances.class,
            "show", Show.class);


    @Command(mixinStandardHelpOptions = true, name = "list", description = "Every instance: its model, state, worker, GPUs and restarts.")
    static final class ListInstances extends BaseCommand {
        @Option(names = {"-m", "--model"}, paramLabel = "MODEL", description = "Only this model's (name or id).")
        String model;

        ListInstances(Context ctx) {
            super(ctx);
        }

        @Override
        public Integer call() {
            String path = "/api/v1/instances";
            if (model != null) {
                path += "?model_id=" + Api.encode(Json.text(lookup().model(model), "id"));
            }
            List<JsonNode> instances = api().list(path);
            if (json()) {
                printJson(Json.array(instances));
            } else {
                out().print(instances.isEmpty() ? "No instances.\n" : table(instances, now()).render());
            }
            return ExitCodes.OK;
        }
    }

    @Command(mixinStandardHelpOptions = true, name = "show", description = "One instance: where it runs and why there, or why it fits nowhere.")
    static final class Show extends BaseCommand {
        @Parameters(paramLabel = "INSTANCE", description = "The instance's name or id.")
        String instance;

        Show(Context ctx) {
            super(ctx);
        }

        @Override
        public Integer call() {
            JsonNode i = lookup().instance(instance);
            if (json()) {
                printJson(i);
                return ExitCodes.OK;
            }
            JsonNode claim = i.path("claim");
            JsonNode placement = i.path("placement");
            Details details = new Details()
                    .add("Name", Json.text(i, "name"))
                    .add("Id", Json.text(i, "id"))
                    .add("Model", Json.text(i, "model_name"))
                    .add("State", state(i) + " for " + Format.age(Json.text(i, "state_since"), now()))
                    .add("Message", Json.text(i, "state_message"))
                    .add("Worker", Json.text(i, "worker_name"))
                    .add("GPUs", gpus(i))
                    .add("Backend", Json.text(i, "backend"))
                    .add("Endpoint", Json.text(i, "endpoint"))
                    .add("Pid", Json.text(i, "pid"))
                    .add("Restarts", i.path("restart_count").asText());
            if (claim.isObject()) {
                long vram = 0;
                for (JsonNode v : claim.path("vram_bytes_by_gpu")) {
                    vram += v.asLong();
                }
                details.add("Claim", "RAM " + Format.bytes(claim.path("ram_bytes").asLong()) + ", VRAM "
                        + Format.bytes(vram));
            }
            if (placement.isObject()) {
                if (placement.path("fits").asBoolean()) {
                    details.add("Placed because", Json.text(placement, "rationale"));
                } else {
                    details.add("Fits nowhere", Json.text(placement, "reason"));
                }
            }
            details.add("Created", Json.text(i, "created_at"));
            out().print(details.render());
            JsonNode perWorker = placement.path("per_worker");
            if (perWorker.isObject() && perWorker.size() > 0) {
                Table table = new Table("WORKER", "WHY NOT");
                perWorker.fields().forEachRemaining(e -> table.row(e.getKey(), e.getValue().asText()));
                out().println();
                out().print(table.render());
            }
            return ExitCodes.OK;
        }
    }

    static Table table(List<JsonNode> instances, Instant now) {
        Table table = new Table("NAME", "MODEL", "STATE", "WORKER", "GPUS", "ENDPOINT", "RESTARTS", "AGE")
                .right("RESTARTS");
        for (JsonNode i : instances) {
            table.row(Json.text(i, "name"), Json.text(i, "model_name"), state(i), Json.text(i, "worker_name"),
                    gpus(i), Json.text(i, "endpoint"), i.path("restart_count").asInt(),
                    Format.age(Json.text(i, "created_at"), now));
        }
        return table;
    }

    /** The state, with the download's progress while it downloads. */
    static String state(JsonNode i) {
        String state = Json.text(i, "state");
        JsonNode progress = i.get("download_progress");
        if ("DOWNLOADING".equals(state) && progress != null && progress.isNumber()) {
            double p = progress.asDouble();
            return state + " " + String.format(Locale.ROOT, "%.0f%%", p * 100);
        }
        return state;
    }

    static String gpus(JsonNode i) {
        JsonNode indexes = i.path("gpu_indexes");
        if (indexes.size() == 0) {
            return i.hasNonNull("worker_id") ? "cpu" : null;
        }
        return String.join(",", ModelsCommand.strings(indexes));
    }
}
