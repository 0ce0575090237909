package dev.gpufleet.scheduler.placement.shape;

import dev.gpufleet.events.PlacementShape;
import dev.gpufleet.events.ShardedSizing;
import dev.gpufleet.scheduler.placement.WorkerFacts;
import dev.gpufleet.scheduler.placement.score.Scoring;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A sharded engine across workers: k workers lend n devices each, world size k × n. World sizes are tried smallest
 * first, and within one the most devices per worker (the fewest workers); the first size that k workers can hold
 * wins. Its members are the workers that can, the best score leading, the others in worker-id order. vLLM with Ray
 * and MindIE across workers differ only in their {@link GroupRules}.
 */
final class DeviceGroupSearch {
    static final int MAX_WORKERS = 16;

    private record Member(int worker, int[] gpus, long[] claims, double score) {
    }

    private static final Comparator<Member> BEST_SCORE_FIRST =
            Comparator.comparingDouble(Member::score).reversed();
    private static final Comparator<Member> BY_WORKER = Comparator.comparingInt(Member::worker);

    private DeviceGroupSearch() {
    }

    static Candidate search(SearchSpace s, GroupRules rules) {
        ShardedSizing sharded = s.needs().sharded();
        int maxLocal = 0;
        for (int w : s.eligible()) {
            maxLocal = Math.max(maxLocal, s.facts(w).gpuCount());
        }
        for (int world = 2; world <= rules.maxWorldSize(); world = rules.nextWorldSize(world)) {
            if (!s.needs().allowsDeviceCount(world)) {
                continue;
            }
            long perDevice = sharded.perDeviceBytes(world);
            for (int n = rules.mostPerWorker(world, maxLocal); n >= 1; n = rules.fewerPerWorker(n)) {
                if (world % n != 0) {
                    continue;
                }
                int k = world / n;
                if (k > MAX_WORKERS) {
                    break; // fewer devices a worker only take more workers
                }
                Candidate c = group(s, rules, k, n, perDevice);
                if (c != null) {
                    return c;
                }
            }
        }
        return null;
    }

    /** k workers of n devices each, or null when fewer than k workers can take part. */
    private static Candidate group(SearchSpace s, GroupRules rules, int k, int n, long perDevice) {
        // cheap count first: most (size, count) pairs fail, and should fail without allocating
        int able = 0;
        for (int i = 0; i < s.eligible().length && able < k; i++) {
            WorkerFacts f = s.facts(s.eligible()[i]);
            if (member(s, rules, f, n) && rules.deviceFit().count(s, f, perDevice, n) >= n) {
                able++;
            }
        }
        if (able < k) {
            return null;
        }
        List<Member> members = new ArrayList<>();
        for (int w : s.eligible()) {
            WorkerFacts f = s.facts(w);
            if (!member(s, rules, f, n)) {
                continue;
            }
            int[] chosen = rules.deviceFit().pick(s, f, n, perDevice);
            if (chosen == null) {
                continue;
            }
            long[] claims = new long[n];
            for (int j = 0; j < n; j++) {
                claims[j] = s.needs().fullClaim(f.gpu(chosen[j]));
            }
            members.add(new Member(w, chosen, claims, s.scoring().score(Scoring.gpusUtil(f, chosen, claims))));
        }
        if (members.size() < k) {
            return null;
        }
        members.sort(BEST_SCORE_FIRST); // stable: worker-id order among equals
        Member lead = members.get(0);
        long ram = s.needs().singleRam();
        Candidate.Builder c = Candidate.on(PlacementShape.Kind.DISTRIBUTED, lead.worker(), lead.gpus(), lead.claims(),
                ram).tensorParallel(rules.tensorParallel(k, n)).pipelineParallel(rules.pipelineParallel(k));
        double score = lead.score();
        List<Member> rest = new ArrayList<>(members.subList(1, k));
        rest.sort(BY_WORKER);
        for (Member m : rest) {
            c.subordinate(m.worker(), m.gpus(), m.claims(), ram);
            score = Math.min(score, m.score());
        }
        return c.score(score).build();
    }

    /** Every node runs a whole engine process, so it needs the model's RAM; and it is in no group of this kind. */
    private static boolean member(SearchSpace s, GroupRules rules, WorkerFacts f, int n) {
        return rules.free(f) && f.gpuCount() >= n && f.allocRam() >= s.needs().singleRam();
    }
}
