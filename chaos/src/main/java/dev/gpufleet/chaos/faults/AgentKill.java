package dev.gpufleet.chaos.faults;

import dev.gpufleet.chaos.RowResult;
import dev.gpufleet.chaos.fleet.BackendProcess;
import dev.gpufleet.chaos.fleet.Fleet;
import dev.gpufleet.chaos.load.LoadStats;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * SIGKILL the agent that runs the demo model (on real llama.cpp) and start it again: the backends it left running
 * must be adopted (the same processes, the same instances), not restarted.
 */
public final class AgentKill implements Fault {
    @Override
    public List<String> rows() {
        return List.of("agent SIGKILL, then restart");
    }

    @Override
    public List<String> expectations() {
        return List.of("its backends adopted, not restarted");
    }

    @Override
    public List<RowResult> run(FaultContext c) {
        Fleet fleet = c.fleet();
        RowResult r = new RowResult(rows().get(0), expectations().get(0));
        Map<Fleet.Agent, List<String>> demo = c.placement(Fleet.DEMO);
        Fleet.Agent agent = demo.keySet().stream().findFirst().orElseGet(c::standInWorker);
        List<BackendProcess> before = fleet.backends();
        Set<String> idsBefore = new HashSet<>();
        fleet.models().forEach(m -> idsBefore.addAll(c.instanceIds(m.name)));
        long itsBackends = before.stream().filter(b -> fleet.agentAt(b.endpoint()).map(a -> a == agent).orElse(false))
                .count();

        long t0 = FaultContext.now();
        c.log(agent.name() + "'s agent killed (" + itsBackends + " backends)");
        agent.process().kill();
        FaultContext.sleepUntil(t0 + 1_000);
        fleet.restart(agent);
        c.log(agent.name() + "'s agent ready again");
        Optional<Long> settled = c.settle(r, t0, "the agent restarted");
        long end = settled.orElse(FaultContext.now());
        c.load().awaitAnswers();
        LoadStats stats = c.count(r, c.requests(t0, end, q -> true));
        r.note(stats.failed() + " of " + stats.sent() + " requests failed (" + stats.describeFailures() + ")");
        c.judgeBackends(r, before, List.of());
        Set<String> idsNow = new HashSet<>();
        fleet.models().forEach(m -> idsNow.addAll(c.instanceIds(m.name)));
        r.expect(idsNow.equals(idsBefore), "instances replaced: " + idsBefore.stream()
                .filter(i -> !idsNow.contains(i)).count() + " gone, " + idsNow.stream()
                .filter(i -> !idsBefore.contains(i)).count() + " new");
        r.expect(itsBackends > 0, agent.name() + " ran no backend to adopt");
        return List.of(r);
    }
}
