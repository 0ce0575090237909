package dev.gpufleet.demomodel;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes a demo model. Java API for tests and the launcher; command line:
 * {@code java -cp demo-model.jar dev.gpufleet.demomodel.DemoModel --preset tiny|demo|tiny-reranker
 * [--type f32|f16|q8_0|q4_k]
 * [--seed N] --out FILE}.
 */
public final class DemoModel {

    public static final long DEFAULT_SEED = 42;

    static final String USAGE = String.join("\n",
            "usage: DemoModel --preset tiny|demo|tiny-reranker [--type f32|f16|q8_0|q4_k] [--seed N] --out FILE",
            "  writes a llama-architecture GGUF with random weights, a vocabulary and a chatml chat template",
            "  --preset  tiny (a few hundred KB, for tests), demo (about 30 MB as q8_0) or tiny-reranker (a BERT reranker)",
            "  --type    tensor type of the weight matrices (default: f32 for tiny, q8_0 for demo)",
            "  --seed    random seed; the same seed gives a byte-identical file (default: " + DEFAULT_SEED + ")",
            "  --out     the file to write (replaced if it exists)");

    private DemoModel() {
    }

    /** Writes the model to {@code out} (creating its parent directories) and returns the file size. */
    public static long write(Preset preset, TensorType type, long seed, Path out) throws IOException {
        Path parent = out.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        return preset.reranker() ? RandomReranker.write(preset, type, seed, out)
                : RandomLlamaModel.write(preset, type, seed, out);
    }

    /** Writes the model with the preset's default tensor type. */
    public static long write(Preset preset, long seed, Path out) throws IOException {
        return write(preset, preset.defaultType, seed, out);
    }

    record Arguments(Preset preset, TensorType type, long seed, Path out) {}

    static final class UsageException extends Exception {
        UsageException(String message) {
            super(message);
        }
    }

    /** Returns null for --help. */
    static Arguments parse(String[] args) throws UsageException {
        Preset preset = null;
        TensorType type = null;
        Long seed = null;
        Path out = null;
        for (int i = 0; i < args.length; i++) {
            String flag = args[i];
            if (flag.equals("-h") || flag.equals("--help")) {
                return null;
            }
            if (!flag.equals("--preset") && !flag.equals("--type") && !flag.equals("--seed") && !flag.equals("--out")) {
                throw new UsageException("unknown argument '" + flag + "'");
            }
            if (i + 1 >= args.length) {
                throw new UsageException(flag + " needs a value");
            }
            String value = args[++i];
            try {
                switch (flag) {
                    case "--preset":
                        preset = Preset.fromCliName(value);
                        break;
                    case "--type":
                        type = TensorType.fromCliName(value);
                        break;
                    case "--seed":
                        seed = Long.parseLong(value);
                        break;
                    default:
                        out = Path.of(value);
                        break;
                }
            } catch (NumberFormatException e) {
                throw new UsageException("--seed must be an integer, got '" + value + "'");
            } catch (IllegalArgumentException e) {
                throw new UsageException(flag + ": " + e.getMessage());
            }
        }
        if (preset == null) {
            throw new UsageException("--preset is required");
        }
        if (out == null) {
            throw new UsageException("--out is required");
        }
        return new Arguments(preset, type != null ? type : preset.defaultType, seed != null ? seed : DEFAULT_SEED, out);
    }

    static int run(String[] args, PrintStream stdout, PrintStream stderr) {
        Arguments a;
        try {
            a = parse(args);
        } catch (UsageException e) {
            stderr.println("error: " + e.getMessage());
            stderr.println(USAGE);
            return 2;
        }
        if (a == null) {
            stdout.println(USAGE);
            return 0;
        }
        try {
            long started = System.nanoTime();
            long size = write(a.preset(), a.type(), a.seed(), a.out());
            stdout.printf("wrote %s: %s %s seed %d, %d bytes in %d ms%n", a.out(), a.preset().modelName,
                    a.type().cliName(), a.seed(), size, (System.nanoTime() - started) / 1_000_000);
            return 0;
        } catch (IOException e) {
            stderr.println("error: cannot write '" + a.out() + "': " + e);
            return 1;
        }
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }
}
