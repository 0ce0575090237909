package dev.gpufleet.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

@Command(mixinStandardHelpOptions = true, name = "status", description = "The fleet at a glance: workers, GPUs, models, instances, and what waits and why.")
final class StatusCommand extends BaseCommand {
    /** How many instances that are not RUNNING are looked at one by one for the reason. */
    private static final int EXPLAINED = 10;

    StatusCommand(Context ctx) {
        super(ctx);
    }

    @Override
    public Integer call() {
        List<JsonNode> workers = api().list("/api/v1/workers");
        List<JsonNode> models = api().list("/api/v1/models");
        List<JsonNode> instances = api().list("/api/v1/instances");
        List<JsonNode> waiting = new ArrayList<>();
        for (JsonNode i : instances) {
            if (!"RUNNING".equals(Json.text(i, "state"))) {
                // the single instance's view says why a PENDING one fits nowhere
                waiting.add(waiting.size() < EXPLAINED && "PENDING".equals(Json.text(i, "state"))
                        ? api().get("/api/v1/instances/" + Json.text(i, "id")) : i);
            }
        }
        Map<String, Integer> workerStates = counts(workers);
        Map<String, Integer> instanceStates = counts(instances);
        int wanted = models.stream().mapToInt(m -> m.path("replicas").asInt()).sum();

        if (json()) {
            ObjectNode status = Json.object().put("server", api().server());
            status.set("workers", counted(workers.size(), workerStates));
            status.set("models", Json.object().put("total", models.size()).put("replicas_wanted", wanted));
            status.set("instances", counted(instances.size(), instanceStates));
            ArrayNode gpus = status.putArray("gpus");
            for (JsonNode w : workers) {
                Map<Integer, Long> claimed = claimed(instances, Json.text(w, "id"));
                for (JsonNode g : w.path("gpus")) {
                    gpus.addObject().put("worker", Json.text(w, "name")).put("index", g.path("index").asInt())
                            .put("name", Json.text(g, "name"))
                            .put("memory_total_bytes", g.path("memory_total_bytes").asLong())
                            .put("memory_used_bytes", g.path("memory_used_bytes").asLong())
                            .put("memory_claimed_bytes", claimed.getOrDefault(g.path("index").asInt(), 0L));
                }
            }
            status.set("not_running", Json.array(waiting));
            printJson(status);
            return ExitCodes.OK;
        }

        int gpuCount = workers.stream().mapToInt(w -> w.path("gpus").size()).sum();
        out().print(new Details()
                .add("Gateway", api().server())
                .add("Workers", workers.isEmpty() ? "none has reported yet" : describe(workers.size(), workerStates))
                .add("GPUs", gpuCount == 0 ? "none (CPU only)" : Integer.toString(gpuCount))
                .add("Models", models.size() + " (" + wanted + (wanted == 1 ? " replica" : " replicas") + " wanted)")
                .add("Instances", instances.isEmpty() ? "none" : describe(instances.size(), instanceStates))
                .render());
        if (gpuCount > 0) {
            Table gpus = new Table("WORKER", "GPU", "NAME", "TOTAL", "USED", "CLAIMED BY GPUFLEET")
                    .right("GPU", "TOTAL", "USED", "CLAIMED BY GPUFLEET");
            for (JsonNode w : workers) {
                Map<Integer, Long> claimed = claimed(instances, Json.text(w, "id"));
                for (JsonNode g : w.path("gpus")) {
                    gpus.row(Json.text(w, "name"), g.path("index").asInt(), Json.text(g, "name"),
                            Format.bytes(g.path("memory_total_bytes").asLong()),
                            Format.bytes(g.path("memory_used_bytes").asLong()),
                            Format.bytes(claimed.getOrDefault(g.path("index").asInt(), 0L)));
                }
            }
            out().println();
            out().print(gpus.render());
        }
        if (!waiting.isEmpty()) {
            Table table = new Table("INSTANCE", "MODEL", "STATE", "WHY");
            for (JsonNode i : waiting) {
                String why = Json.text(i.path("placement"), "reason");
                table.row(Json.text(i, "name"), Json.text(i, "model_name"), InstancesCommand.state(i),
                        why != null ? why : Json.text(i, "state_message"));
            }
            out().println();
            out().println("Not running:");
            out().print(table.render());
        }
        return ExitCodes.OK;
    }

    private static Map<String, Integer> counts(List<JsonNode> items) {
        Map<String, Integer> counts = new TreeMap<>();
        items.forEach(i -> counts.merge(Json.text(i, "state"), 1, Integer::sum));
        return counts;
    }

    private static String describe(int total, Map<String, Integer> states) {
        return total + ": " + String.join(", ", states.entrySet().stream()
                .map(e -> e.getValue() + " " + e.getKey()).toList());
    }

    private static ObjectNode counted(int total, Map<String, Integer> states) {
        ObjectNode node = Json.object().put("total", total);
        ObjectNode byState = node.putObject("by_state");
        states.forEach(byState::put);
        return node;
    }

    private static Map<Integer, Long> claimed(List<JsonNode> instances, String workerId) {
        return WorkersCommand.claimedByGpu(instances.stream()
                .filter(i -> workerId != null && workerId.equals(Json.text(i, "worker_id"))).toList());
    }
}
