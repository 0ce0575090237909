package dev.gpufleet.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

@Command(mixinStandardHelpOptions = true, name = "workers", description = "Workers (one per host): list, show, cordon, drain, uncordon.")
final class WorkersCommand extends GroupCommand {
    /** The subcommands, in the order help lists them (registered by {@link Gpufleet}, only the one named when one is). */
    static final java.util.Map<String, Class<?>> SUBCOMMANDS = GroupCommand.ordered(
            "list", ListWorkers.class,
            "show", Show.class,
            "cordon", Cordon.class,
            "drain", Drain.class,
            "uncordon", Uncordon.class);


    @Command(mixinStandardHelpOptions = true, name = "list", description = "Every worker: state, address, CPU, memory, GPUs and labels.")
    static final class ListWorkers extends BaseCommand {
        ListWorkers(Context ctx) {
            super(ctx);
        }

        @Override
        public Integer call() {
            List<JsonNode> workers = api().list("/api/v1/workers");
            if (json()) {
                printJson(Json.array(workers));
                return ExitCodes.OK;
            }
            Table table = new Table("NAME", "STATE", "ADDRESS", "CPUS", "MEMORY", "GPUS", "LABELS", "HEARTBEAT");
            for (JsonNode w : workers) {
                table.row(Json.text(w, "name"), state(w), Json.text(w, "address"),
                        w.path("cpu_cores").asInt() + " (" + Format.percent(w.path("cpu_utilization_percent")
                                .asDouble()) + ")",
                        Format.bytes(w.path("memory_used_bytes").asLong()) + " / "
                                + Format.bytes(w.path("memory_total_bytes").asLong()),
                        gpuSummary(w.path("gpus")), labels(w.path("labels")),
                        Format.age(Json.text(w, "last_heartbeat_at"), now()) + " ago");
            }
            out().print(workers.isEmpty() ? "No workers have reported yet.\n" : table.render());
            return ExitCodes.OK;
        }
    }

    @Command(mixinStandardHelpOptions = true, name = "show", description = "One worker: its devices and the instances on it.")
    static final class Show extends BaseCommand {
        @Parameters(paramLabel = "WORKER", description = "The worker's name or id.")
        String worker;

        Show(Context ctx) {
            super(ctx);
        }

        @Override
        public Integer call() {
            JsonNode w = lookup().worker(worker);
            if (json()) {
                printJson(w);
                return ExitCodes.OK;
            }
            out().print(new Details()
                    .add("Name", Json.text(w, "name"))
                    .add("Id", Json.text(w, "id"))
                    .add("State", state(w))
                    .add("Message", Json.text(w, "state_message"))
                    .add("Address", Json.text(w, "address") + ":" + w.path("agent_port").asInt())
                    .add("Platform", Json.text(w, "os") + "/" + Json.text(w, "arch"))
                    .add("CPUs", w.path("cpu_cores").asInt() + ", " + Format.percent(
                            w.path("cpu_utilization_percent").asDouble()) + " busy")
                    .add("Memory", Format.bytes(w.path("memory_used_bytes").asLong()) + " used of "
                            + Format.bytes(w.path("memory_total_bytes").asLong()))
                    .add("Labels", labels(w.path("labels")))
                    .add("Heartbeat", Format.age(Json.text(w, "last_heartbeat_at"), now()) + " ago, every "
                            + w.path("heartbeat_interval_seconds").asInt() + " s")
                    .render());
            String id = Json.text(w, "id");
            List<JsonNode> instances = new ArrayList<>();
            api().list("/api/v1/instances").stream().filter(i -> id.equals(Json.text(i, "worker_id")))
                    .forEach(instances::add);
            Map<Integer, Long> claimed = claimedByGpu(instances);
            if (w.path("gpus").size() > 0) {
                Table gpus = new Table("GPU", "NAME", "VENDOR", "TOTAL", "USED", "CLAIMED", "UTIL")
                        .right("GPU", "TOTAL", "USED", "CLAIMED", "UTIL");
                for (JsonNode g : w.path("gpus")) {
                    gpus.row(g.path("index").asInt(), Json.text(g, "name"), Json.text(g, "vendor"),
                            Format.bytes(g.path("memory_total_bytes").asLong()),
                            Format.bytes(g.path("memory_used_bytes").asLong()),
                            Format.bytes(claimed.getOrDefault(g.path("index").asInt(), 0L)),
                            Format.percent(g.path("utilization_percent").asDouble()));
                }
                out().println();
                out().print(gpus.render());
            }
            if (!instances.isEmpty()) {
                out().println();
                out().print(InstancesCommand.table(instances, now()).render());
            }
            return ExitCodes.OK;
        }
    }

    @Command(mixinStandardHelpOptions = true, name = "cordon", description = "Places nothing new on the worker (MAINTENANCE); what runs there stays.")
    static final class Cordon extends Change {
        Cordon(Context ctx) {
            super(ctx, "cordon", "cordoned: nothing new is placed there");
        }
    }

    @Command(mixinStandardHelpOptions = true, name = "drain", description = "Cordons the worker and moves each of its instances elsewhere.")
    static final class Drain extends Change {
        Drain(Context ctx) {
            super(ctx, "drain", "draining: cordoned, its instances move elsewhere");
        }
    }

    @Command(mixinStandardHelpOptions = true, name = "uncordon", description = "Back to the state its heartbeats say; a drain stops.")
    static final class Uncordon extends Change {
        Uncordon(Context ctx) {
            super(ctx, "uncordon", "uncordoned");
        }
    }

    abstract static class Change extends BaseCommand {
        @Parameters(paramLabel = "WORKER", description = "The worker's name or id.")
        String worker;

        private final String action;
        private final String done;

        Change(Context ctx, String action, String done) {
            super(ctx);
            this.action = action;
            this.done = done;
        }

        @Override
        public Integer call() {
            JsonNode w = lookup().worker(worker);
            JsonNode changed = api().post("/api/v1/workers/" + Api.encode(Json.text(w, "id")) + "/" + action,
                    Json.object());
            if (json()) {
                printJson(changed);
            } else {
                out().printf("Worker %s %s (state %s).%n", Json.text(changed, "name"), done, state(changed));
            }
            return ExitCodes.OK;
        }
    }

    static String state(JsonNode w) {
        String state = Json.text(w, "state");
        return w.path("draining").asBoolean() ? state + " (draining)" : state;
    }

    /** "2 x NVIDIA H100 80GB HBM3", "1 x A, 1 x B", or none. */
    static String gpuSummary(JsonNode gpus) {
        if (gpus.size() == 0) {
            return "none";
        }
        Map<String, Integer> byName = new LinkedHashMap<>();
        gpus.forEach(g -> byName.merge(Json.text(g, "name"), 1, Integer::sum));
        return String.join(", ", byName.entrySet().stream().map(e -> e.getValue() + " x " + e.getKey()).toList());
    }

    static String labels(JsonNode labels) {
        List<String> pairs = new ArrayList<>();
        labels.fields().forEachRemaining(e -> pairs.add(e.getKey() + "=" + e.getValue().asText()));
        return String.join(",", pairs);
    }

    /** VRAM that gpufleet's instances claim on each GPU index. */
    static Map<Integer, Long> claimedByGpu(List<JsonNode> instances) {
        Map<Integer, Long> claimed = new LinkedHashMap<>();
        for (JsonNode i : instances) {
            i.path("claim").path("vram_bytes_by_gpu").fields().forEachRemaining(e ->
                    claimed.merge(Integer.parseInt(e.getKey()), e.getValue().asLong(), Long::sum));
        }
        return claimed;
    }
}
