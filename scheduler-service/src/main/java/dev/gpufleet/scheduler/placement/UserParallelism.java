package dev.gpufleet.scheduler.placement;

import java.util.ArrayList;
import java.util.List;

/**
 * vLLM's {@code --tensor-parallel-size} / {@code -tp} and {@code --pipeline-parallel-size} / {@code -pp} as the user
 * set them in {@code backend_parameters} (0 = not set). The seed lets the user choose them; when they do, the
 * instance runs on exactly tensor × pipeline GPUs, so placement claims that many (and the agent passes the user's
 * flags unchanged).
 */
public record UserParallelism(int tensorParallel, int pipelineParallel) {
    public static final UserParallelism NONE = new UserParallelism(0, 0);

    /** Whether the user set either size. */
    public boolean set() {
        return tensorParallel > 0 || pipelineParallel > 0;
    }

    /** The GPUs the instance runs on: tensor × pipeline, an unset size counting 1; 0 when neither is set. */
    public int worldSize() {
        return set() ? Math.max(1, tensorParallel) * Math.max(1, pipelineParallel) : 0;
    }

    /** The sizes in {@code parameters}: {@code --flag=N}, {@code --flag N} in one entry, or the flag then N. */
    public static UserParallelism of(List<String> parameters) {
        List<String> words = new ArrayList<>();
        for (String p : parameters == null ? List.<String>of() : parameters) {
            if (p == null) {
                continue;
            }
            String t = p.strip();
            int eq = t.indexOf('=');
            if (t.startsWith("-") && eq > 0) {
                words.add(t.substring(0, eq));
                words.add(t.substring(eq + 1).strip());
            } else {
                for (String w : t.split("\\s+")) {
                    if (!w.isEmpty()) {
                        words.add(w);
                    }
                }
            }
        }
        int tp = 0;
        int pp = 0;
        for (int i = 0; i + 1 < words.size(); i++) {
            String flag = words.get(i);
            int value = positive(words.get(i + 1));
            if (value == 0) {
                continue;
            }
            if (flag.equals("--tensor-parallel-size") || flag.equals("-tp")) {
                tp = value;
            } else if (flag.equals("--pipeline-parallel-size") || flag.equals("-pp")) {
                pp = value;
            }
        }
        return tp == 0 && pp == 0 ? NONE : new UserParallelism(tp, pp);
    }

    private static int positive(String word) {
        try {
            int n = Integer.parseInt(word);
            return Math.max(n, 0);
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
