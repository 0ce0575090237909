package dev.gpufleet.bench;

import dev.gpufleet.demomodel.DemoModel;
import dev.gpufleet.demomodel.Preset;
import dev.gpufleet.localstack.FreePorts;
import dev.gpufleet.localstack.launcher.LocalStack;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * How long a CLI command takes from the shell: {@code ./gpufleet COMMAND} as a process (bash, the launcher's checks,
 * a fresh JVM, the requests to the gateway, the table), against the embedded stack started here with one model,
 * with and without the class-data-sharing archive. "first" is the first run after a build of the CLI (with the
 * archive: including the one-off training run that makes it); the rest are RUNS runs of each command, with and
 * without the archive taking turns.
 *
 * <p>Args: [runs=20]. Run from the repository root after {@code ./mvnw -B -ntp -q package -DskipTests}.
 */
public final class CliBench {
    private static final List<List<String>> COMMANDS = List.of(
            List.of("models", "list"), List.of("status"), List.of("workers", "list"),
            List.of("models", "list", "-o", "json"), List.of("--version"));
    private static final double GOAL_SECONDS = 0.5;

    record Run(double wallSeconds, double cpuSeconds, int exit) {
    }

    public static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        Path root = Path.of("").toAbsolutePath();
        Path launcher = root.resolve("gpufleet");
        if (!Files.isRegularFile(root.resolve("cli/target/gpufleet-cli.jar"))) {
            System.err.println("cli: cli/target/gpufleet-cli.jar is missing; build first: ./mvnw -B -ntp -q package -DskipTests");
            System.exit(1);
        }
        Path dir = Files.createTempDirectory("cli-bench");
        Path model = dir.resolve("tiny.gguf");
        DemoModel.write(Preset.TINY, 1, model);
        LocalStack.Options options = new LocalStack.Options(root, dir.resolve("stack"), FreePorts.pick(),
                FreePorts.pick(), FreePorts.pick(), FreePorts.pick(), Duration.ofSeconds(180), Map.of());
        System.out.printf("cli: starting the embedded stack in %s ...%n", dir);
        try (LocalStack stack = LocalStack.start(options, new PrintStream(new ByteArrayOutputStream(), true,
                StandardCharsets.UTF_8))) {
            Map<String, String> env = new HashMap<>();
            env.put("GPUFLEET_GATEWAY_PORT", Integer.toString(options.gatewayPort()));
            env.put("GPUFLEET_DATA_DIR", options.dataDir().toString());
            env.put("GPUFLEET_CONFIG", dir.resolve("no-config").toString());
            Run deployed = run(launcher, env, "on", List.of("models", "deploy", "tiny", "--path", model.toString(),
                    "--wait", "--timeout", "180"));
            if (deployed.exit() != 0) {
                throw new IllegalStateException("could not deploy the bench's model (exit " + deployed.exit() + ")");
            }
            System.out.printf("load average before: %s%n", loadAverage());
            System.out.printf("JDK %s, %d runs of each command after the first%n%n", Runtime.version(), runs);

            deleteRecursively(root.resolve("cli/target/cds"));
            Map<String, Run> first = new HashMap<>();
            for (String cds : List.of("off", "on")) {
                // the first command after a build: with CDS on, it trains and writes the archive first
                first.put(cds, run(launcher, env, cds, COMMANDS.get(0)));
            }

            System.out.println("| command | CDS | first s | p50 s | p90 s | min s | CPU p50 s | goal p50 <= 0.5 s |");
            System.out.println("|---|---|---|---|---|---|---|---|");
            for (List<String> command : COMMANDS) {
                Map<String, List<Run>> byMode = Map.of("on", new ArrayList<>(), "off", new ArrayList<>());
                for (int i = 0; i < runs; i++) {
                    for (String cds : i % 2 == 0 ? List.of("on", "off") : List.of("off", "on")) {
                        Run r = run(launcher, env, cds, command);
                        if (r.exit() != 0) {
                            throw new IllegalStateException("gpufleet " + command + " exited " + r.exit());
                        }
                        byMode.get(cds).add(r);
                    }
                }
                for (String cds : List.of("on", "off")) {
                    List<Run> rs = byMode.get(cds);
                    double p50 = percentile(rs, 0.5, Run::wallSeconds);
                    String firstRun = command.equals(COMMANDS.get(0)) ? seconds(first.get(cds).wallSeconds()) : "";
                    String goal = command.equals(COMMANDS.get(0)) && cds.equals("on")
                            ? (p50 <= GOAL_SECONDS ? "met" : "missed") : "";
                    System.out.printf("| %s | %s | %s | %s | %s | %s | %s | %s |%n", String.join(" ", command), cds,
                            firstRun, seconds(p50), seconds(percentile(rs, 0.9, Run::wallSeconds)),
                            seconds(percentile(rs, 0.0, Run::wallSeconds)),
                            seconds(percentile(rs, 0.5, Run::cpuSeconds)), goal);
                }
            }
            System.out.printf("%nload average after: %s%n", loadAverage());
        } finally {
            deleteRecursively(dir);
        }
    }

    /** One {@code ./gpufleet} run: its wall time, and the CPU time of it and its children (bash, java). */
    static Run run(Path launcher, Map<String, String> env, String cds, List<String> command) throws Exception {
        List<String> argv = new ArrayList<>(List.of("bash", launcher.toString()));
        argv.addAll(command);
        ProcessBuilder builder = new ProcessBuilder(argv).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        builder.environment().keySet().removeIf(k -> k.startsWith("GPUFLEET_"));
        builder.environment().putAll(env);
        builder.environment().put("GPUFLEET_CLI_CDS", cds);
        double cpuBefore = childrenCpuSeconds();
        long t0 = System.nanoTime();
        Process process = builder.start();
        int exit = process.waitFor();
        double wall = (System.nanoTime() - t0) / 1e9;
        return new Run(wall, childrenCpuSeconds() - cpuBefore, exit);
    }

    /** cutime + cstime of this JVM: the CPU of the children it has waited for, in seconds (at 100 ticks a second). */
    static double childrenCpuSeconds() throws IOException {
        String stat = Files.readString(Path.of("/proc/self/stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        // after the command name: field 3 is state, so cutime (16) and cstime (17) are at 13 and 14
        return (Long.parseLong(fields[13]) + Long.parseLong(fields[14])) / 100.0;
    }

    static double percentile(List<Run> runs, double p, java.util.function.ToDoubleFunction<Run> value) {
        double[] sorted = runs.stream().mapToDouble(value).sorted().toArray();
        return sorted[(int) Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
    }

    private static String seconds(double s) {
        return String.format(Locale.ROOT, "%.2f", s);
    }

    private static String loadAverage() throws IOException {
        return Files.readString(Path.of("/proc/loadavg")).trim();
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
