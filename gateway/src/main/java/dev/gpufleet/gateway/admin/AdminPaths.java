package dev.gpufleet.gateway.admin;

import java.util.List;
import java.util.regex.Pattern;

/** Who answers a path under {@code /api/v1}: an owning service, the gateway's GPU list, or another gateway route. */
public final class AdminPaths {

    /** The services the gateway forwards admin calls to, by the name errors use. */
    public enum Service {
        REGISTRY("model-registry"), SCHEDULER("scheduler-service");

        private final String displayName;

        Service(String displayName) {
            this.displayName = displayName;
        }

        public String displayName() {
            return displayName;
        }
    }

    /** What to do with a path. */
    public sealed interface Target {
    }

    public record Forward(Service service) implements Target {
    }

    /** {@code /api/v1/gpu-devices[/{id}]}: built here from the scheduler's workers. */
    public record GpuDevices(String id) implements Target {
    }

    /** Served by another gateway route (usage, users, API keys, me, audit events, instance logs): pass it on. */
    public record Local() implements Target {
    }

    public record Unknown() implements Target {
    }

    private record Rule(Pattern pattern, Target target) {
    }

    private static final String ID = "/[^/]+";
    private static final List<Rule> RULES = List.of(
            // another helper's route; checked before /instances so that it is never forwarded
            rule("/api/v1/instances" + ID + "/logs(/.*)?", new Local()),
            rule("/api/v1/(usage|users|api-keys|me|audit-events)(/.*)?", new Local()),
            rule("/api/v1/(models|model-evaluations)(/.*)?", new Forward(Service.REGISTRY)),
            rule("/api/v1/(instances|workers|model-files|placement-evaluations|scheduler)(/.*)?",
                    new Forward(Service.SCHEDULER)));
    private static final Pattern GPU_DEVICES = Pattern.compile("/api/v1/gpu-devices(?:/([^/]+))?/?");

    private AdminPaths() {
    }

    private static Rule rule(String regex, Target target) {
        return new Rule(Pattern.compile(regex), target);
    }

    /** @param path a normalized path (no {@code ..}, no query) */
    public static Target resolve(String path) {
        var gpu = GPU_DEVICES.matcher(path);
        if (gpu.matches()) {
            return new GpuDevices(gpu.group(1));
        }
        for (Rule rule : RULES) {
            if (rule.pattern().matcher(path).matches()) {
                return rule.target();
            }
        }
        return new Unknown();
    }
}
