package dev.gpufleet.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

@Command(mixinStandardHelpOptions = true, name = "models", description = "Models: list, show, deploy, evaluate, scale, delete.")
final class ModelsCommand extends GroupCommand {
    /** The subcommands, in the order help lists them (registered by {@link Gpufleet}, only the one named when one is). */
    static final java.util.Map<String, Class<?>> SUBCOMMANDS = GroupCommand.ordered(
            "list", ListModels.class,
            "show", Show.class,
            "deploy", Deploy.class,
            "evaluate", Evaluate.class,
            "scale", Scale.class,
            "delete", Delete.class);


    /** The fields of a model spec, as {@code PUT /api/v1/models/{id}} takes them back. */
    static final List<String> SPEC_FIELDS = List.of("name", "source", "backend", "backend_version",
            "backend_parameters", "env", "replicas", "categories", "placement_strategy", "cpu_offloading",
            "distributed_inference", "worker_selector", "gpu_selector", "restart_on_error");

    @Command(mixinStandardHelpOptions = true, name = "list", description = "Every model with its replicas (running/wanted), backend and source.")
    static final class ListModels extends BaseCommand {
        ListModels(Context ctx) {
            super(ctx);
        }

        @Override
        public Integer call() {
            List<JsonNode> models = api().list("/api/v1/models");
            if (json()) {
                printJson(Json.array(models));
                return ExitCodes.OK;
            }
            Map<String, Integer> running = runningByModel(api().list("/api/v1/instances"));
            Table table = new Table("NAME", "READY", "BACKEND", "SOURCE", "VRAM", "RAM", "ANALYSIS", "AGE")
                    .right("READY", "VRAM", "RAM");
            for (JsonNode m : models) {
                JsonNode estimate = m.path("estimate");
                table.row(Json.text(m, "name"),
                        running.getOrDefault(Json.text(m, "id"), 0) + "/" + m.path("replicas").asInt(),
                        Json.text(m, "backend"), source(m.path("source")),
                        estimate.isObject() ? Format.bytes(estimate.path("vram_bytes").asLong()) : null,
                        estimate.isObject() ? Format.bytes(estimate.path("ram_bytes").asLong()) : null,
                        Json.text(m.path("analysis"), "state"), Format.age(Json.text(m, "created_at"), now()));
            }
            out().print(models.isEmpty() ? "No models. Deploy one: gpufleet models deploy NAME --path FILE\n"
                    : table.render());
            return ExitCodes.OK;
        }
    }

    @Command(mixinStandardHelpOptions = true, name = "show", description = "One model: its spec, analysis, estimate and instances.")
    static final class Show extends BaseCommand {
        @Parameters(paramLabel = "MODEL", description = "The model's name or id.")
        String model;

        Show(Context ctx) {
            super(ctx);
        }

        @Override
        public Integer call() {
            JsonNode m = lookup().model(model);
            if (json()) {
                printJson(m);
                return ExitCodes.OK;
            }
            List<JsonNode> instances = api().list("/api/v1/instances?model_id=" + Json.text(m, "id"));
            JsonNode analysis = m.path("analysis");
            JsonNode facts = analysis.path("facts");
            JsonNode estimate = m.path("estimate");
            Details details = new Details()
                    .add("Name", Json.text(m, "name"))
                    .add("Id", Json.text(m, "id"))
                    .add("Source", source(m.path("source")))
                    .add("Backend", Json.text(m, "backend") + (m.hasNonNull("backend_version")
                            ? " " + Json.text(m, "backend_version") : ""))
                    .add("Parameters", String.join(" ", strings(m.path("backend_parameters"))))
                    .add("Categories", String.join(", ", strings(m.path("categories"))))
                    .add("Replicas", running(instances) + " running of " + m.path("replicas").asInt() + " wanted")
                    .add("Placement", Json.text(m, "placement_strategy"))
                    .add("Analysis", Json.text(analysis, "state") + (analysis.hasNonNull("message")
                            ? ": " + Json.text(analysis, "message") : ""));
            if (facts.isObject()) {
                details.add("Architecture", Json.text(facts, "architecture")
                        + (facts.hasNonNull("quantization") ? ", " + Json.text(facts, "quantization") : "")
                        + (facts.path("parameter_count").asLong() > 0
                        ? ", " + Format.count(facts.path("parameter_count").asLong()) + " parameters" : "")
                        + (facts.path("context_length").asInt() > 0
                        ? ", context " + facts.path("context_length").asInt() : ""));
            }
            if (estimate.isObject()) {
                details.add("Estimate", "VRAM " + Format.bytes(estimate.path("vram_bytes").asLong()) + ", RAM "
                        + Format.bytes(estimate.path("ram_bytes").asLong()));
            }
            details.add("Created", Json.text(m, "created_at"));
            out().print(details.render());
            if (!instances.isEmpty()) {
                out().println();
                out().print(InstancesCommand.table(instances, now()).render());
            }
            return ExitCodes.OK;
        }
    }

    @Command(mixinStandardHelpOptions = true, name = "deploy", description = {"Creates a model from a source and the options below.",
            "e.g. gpufleet models deploy qwen --hf Qwen/Qwen2.5-0.5B-Instruct-GGUF --file-name '*q4_k_m.gguf'",
            "     gpufleet models deploy tiny --path ./tiny.gguf --replicas 2 --wait"})
    static final class Deploy extends BaseCommand {
        @Parameters(paramLabel = "NAME", arity = "0..1",
                description = "The model's name, as clients call it (may come from --spec instead).")
        String name;

        @Mixin
        ModelSpecOptions spec;

        @Option(names = "--wait", description = "Wait until every replica is RUNNING (see --timeout).")
        boolean await;

        @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "600",
                description = "How long --wait waits (default ${DEFAULT-VALUE}).")
        int timeoutSeconds;

        Deploy(Context ctx) {
            super(ctx);
        }

        @Override
        public Integer call() throws InterruptedException {
            ObjectNode body = spec.toSpec(name, ctx.cwd(), ctx.in());
            JsonNode created = api().post("/api/v1/models", body);
            if (!json()) {
                out().printf("Model '%s' created: backend %s, %d %s (id %s).%n", Json.text(created, "name"),
                        Json.text(created, "backend"), created.path("replicas").asInt(),
                        created.path("replicas").asInt() == 1 ? "replica" : "replicas", Json.text(created, "id"));
                printWarnings(this, created);
            }
            if (await) {
                int code = awaitRunning(this, created, Duration.ofSeconds(timeoutSeconds));
                if (json()) {
                    printJson(created);
                }
                return code;
            }
            if (json()) {
                printJson(created);
            } else {
                out().printf("Follow it: gpufleet models show %s%n", Json.text(created, "name"));
            }
            return ExitCodes.OK;
        }
    }

    @Command(mixinStandardHelpOptions = true, name = "evaluate", description = {"Would this model fit now, where, and what it would take; creates nothing.",
            "Exit status 0 when it fits, 1 when it fits nowhere."})
    static final class Evaluate extends BaseCommand {
        @Parameters(paramLabel = "NAME", arity = "0..1", description = "The model's name (may come from --spec).")
        String name;

        @Mixin
        ModelSpecOptions spec;

        Evaluate(Context ctx) {
            super(ctx);
        }

        @Override
        public Integer call() {
            ObjectNode request = Json.object();
            request.putArray("model_specs").add(spec.toSpec(name, ctx.cwd(), ctx.in()));
            JsonNode result = api().post("/api/v1/model-evaluations", request).path("results").path(0);
            boolean fits = result.path("compatible").asBoolean();
            if (json()) {
                printJson(result);
                return fits ? ExitCodes.OK : ExitCodes.FAILED;
            }
            JsonNode placement = result.path("placement");
            JsonNode estimate = result.path("estimate");
            Details details = new Details()
                    .add("Model", Json.text(result, "name"))
                    .add("Fits", fits ? "yes" : "no");
            if (fits) {
                details.add("Worker", Json.text(placement, "worker_name"))
                        .add("GPUs", placement.path("gpu_indexes").size() == 0 ? "none (CPU)"
                                : String.join(", ", strings(placement.path("gpu_indexes"))));
            }
            if (estimate.isObject()) {
                details.add("Estimate", "VRAM " + Format.bytes(estimate.path("vram_bytes").asLong()) + ", RAM "
                        + Format.bytes(estimate.path("ram_bytes").asLong()));
            }
            details.add("Analysis", Json.text(result.path("analysis"), "state"))
                    .add("Why", fits ? Json.text(placement, "rationale") : null)
                    .add(fits ? "Warnings" : "Problems", String.join("\n", strings(result.path("messages"))));
            out().print(details.render());
            JsonNode perWorker = placement.path("per_worker");
            if (!fits && perWorker.isObject() && perWorker.size() > 0) {
                Table table = new Table("WORKER", "WHY NOT");
                perWorker.fields().forEachRemaining(e -> table.row(e.getKey(), e.getValue().asText()));
                out().println();
                out().print(table.render());
            }
            return fits ? ExitCodes.OK : ExitCodes.FAILED;
        }
    }

    @Command(mixinStandardHelpOptions = true, name = "scale", description = "Sets a model's replicas (0 stops every instance and keeps the model).")
    static final class Scale extends BaseCommand {
        @Parameters(index = "0", paramLabel = "MODEL", description = "The model's name or id.")
        String model;

        @Parameters(index = "1", paramLabel = "REPLICAS", description = "How many instances, 0 to 1000.")
        int replicas;

        @Option(names = "--wait", description = "Wait until that many instances are RUNNING.")
        boolean await;

        @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "600",
                description = "How long --wait waits (default ${DEFAULT-VALUE}).")
        int timeoutSeconds;

        Scale(Context ctx) {
            super(ctx);
        }

        @Override
        public Integer call() throws InterruptedException {
            if (replicas < 0) {
                throw usage("REPLICAS: must be 0 or more, was " + replicas);
            }
            JsonNode m = lookup().model(model);
            ObjectNode spec = specOf(m);
            int before = m.path("replicas").asInt();
            spec.put("replicas", replicas);
            JsonNode updated = api().put("/api/v1/models/" + Json.text(m, "id"), spec);
            if (!json()) {
                out().printf("Model '%s': replicas %d -> %d.%n", Json.text(updated, "name"), before,
                        updated.path("replicas").asInt());
                printWarnings(this, updated);
            }
            int code = await ? awaitRunning(this, updated, Duration.ofSeconds(timeoutSeconds)) : ExitCodes.OK;
            if (json()) {
                printJson(updated);
            }
            return code;
        }
    }

    @Command(mixinStandardHelpOptions = true, name = "delete", description = "Deletes a model; its instances are stopped.")
    static final class Delete extends BaseCommand {
        @Parameters(paramLabel = "MODEL", description = "The model's name or id.")
        String model;

        Delete(Context ctx) {
            super(ctx);
        }

        @Override
        public Integer call() {
            JsonNode m = lookup().model(model);
            api().delete("/api/v1/models/" + Json.text(m, "id"));
            if (json()) {
                ObjectNode answer = Json.object().put("id", Json.text(m, "id")).put("name", Json.text(m, "name"))
                        .put("deleted", true);
                printJson(answer);
            } else {
                out().printf("Model '%s' deleted; its instances are stopping.%n", Json.text(m, "name"));
            }
            return ExitCodes.OK;
        }
    }

    /** A model's spec from its view: what {@code PUT} takes back, without what the registry added. */
    static ObjectNode specOf(JsonNode model) {
        ObjectNode spec = Json.object();
        for (String field : SPEC_FIELDS) {
            JsonNode value = model.get(field);
            if (value != null && !value.isNull()) {
                spec.set(field, value);
            }
        }
        return spec;
    }

    /**
     * Polls the model's instances until as many RUNNING as it wants, printing each change of their states (for
     * people); exit status 1 when the time runs out or an instance is in ERROR for good.
     */
    static int awaitRunning(BaseCommand command, JsonNode model, Duration timeout) throws InterruptedException {
        String id = Json.text(model, "id");
        int wanted = model.path("replicas").asInt();
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "";
        while (true) {
            List<JsonNode> instances = command.api().list("/api/v1/instances?model_id=" + id);
            int running = running(instances);
            String states = states(instances);
            if (!states.equals(last) && !command.json()) {
                command.out().printf("  %s%n", states.isEmpty() ? "no instances yet" : states);
                last = states;
            }
            if (running == wanted && instances.size() == wanted) {
                if (!command.json()) {
                    command.out().printf("Model '%s': %d of %d running.%n", Json.text(model, "name"), running, wanted);
                }
                return ExitCodes.OK;
            }
            if (System.nanoTime() > deadline) {
                command.ctx.err().printf("gpufleet: model '%s' has %d of %d instances running after %d s (%s); "
                                + "'gpufleet instances show NAME' says why%n", Json.text(model, "name"), running,
                        wanted, timeout.toSeconds(), states);
                return ExitCodes.FAILED;
            }
            Thread.sleep(500);
        }
    }

    static Map<String, Integer> runningByModel(List<JsonNode> instances) {
        Map<String, Integer> running = new HashMap<>();
        for (JsonNode i : instances) {
            if ("RUNNING".equals(Json.text(i, "state"))) {
                running.merge(Json.text(i, "model_id"), 1, Integer::sum);
            }
        }
        return running;
    }

    static int running(List<JsonNode> instances) {
        return (int) instances.stream().filter(i -> "RUNNING".equals(Json.text(i, "state"))).count();
    }

    /** "2 RUNNING, 1 PENDING", in a stable order. */
    static String states(List<JsonNode> instances) {
        Map<String, Integer> counts = new TreeMap<>();
        instances.forEach(i -> counts.merge(Json.text(i, "state"), 1, Integer::sum));
        return String.join(", ", counts.entrySet().stream().map(e -> e.getValue() + " " + e.getKey()).toList());
    }

    /** hf:Qwen/Qwen2.5-0.5B-Instruct-GGUF/*q4_k_m.gguf, ms:..., or the path. */
    static String source(JsonNode s) {
        String type = Json.text(s, "type");
        if ("huggingface".equals(type)) {
            return "hf:" + Json.text(s, "repo_id") + (s.hasNonNull("file_name") ? "/" + Json.text(s, "file_name") : "");
        }
        if ("modelscope".equals(type)) {
            return "ms:" + Json.text(s, "model_id") + (s.hasNonNull("file_path") ? "/" + Json.text(s, "file_path") : "");
        }
        return Json.text(s, "path");
    }

    static List<String> strings(JsonNode array) {
        List<String> values = new java.util.ArrayList<>();
        array.forEach(v -> values.add(v.asText()));
        return values;
    }

    /** What the registry accepted but thinks looks wrong (an unknown backend flag, say), on standard error. */
    private static void printWarnings(BaseCommand command, JsonNode model) {
        model.path("warnings").forEach(w -> command.ctx.err().println("warning: " + w.asText()));
    }
}
