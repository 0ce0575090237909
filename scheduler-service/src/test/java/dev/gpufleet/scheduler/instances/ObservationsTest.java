package dev.gpufleet.scheduler.instances;

import dev.gpufleet.events.InstanceObserved;
import dev.gpufleet.events.InstanceState;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ObservationsTest {
    private static final String ID = "5b0c7b5e-4a3f-4a9e-9d55-2f7c1b8e0a11";

    @ParameterizedTest(name = "held on {0} at observation {1}, restart {2}; from {3} at {4}, run {5} -> {6}")
    @CsvSource(nullValues = "-", delimiter = '|', value = {
            // held worker | held rev | held restarts | from worker | rev | run | why ignored
            "w1 | -  | 0 | w1 | 1  | 0 | -",
            "w1 | 4  | 0 | w1 | 5  | 0 | -",
            "w1 | 4  | 2 | w1 | 5  | 3 | -",
            "w1 | 5  | 0 | w1 | 5  | 0 | revision 5 is not newer than 5",
            "w1 | 5  | 0 | w1 | 3  | 0 | revision 3 is not newer than 5",
            "w1 | 4  | 2 | w1 | 5  | 1 | it is about run 1, the instance is at restart 2",
            "w1 | -  | 0 | w2 | 9  | 0 | reported by worker w2, but the instance is on w1",
            "-  | -  | 0 | w1 | 1  | 0 | the instance is not placed",
    })
    void takesInOnlyNewerReportsOfTheCurrentRunFromItsWorker(String heldWorker, Long heldRevision, int heldRestarts,
                                                             String fromWorker, long revision, int run,
                                                             String expected) {
        InstanceObserved observed = new InstanceObserved(ID, fromWorker, InstanceState.RUNNING, null, 40000, 7L,
                null, run);
        assertEquals(expected, Observations.whyIgnored(new Observations.Held(heldWorker, heldRevision, heldRestarts),
                revision, observed));
    }

    @ParameterizedTest(name = "instance {0} on w1 run {1}, subordinates {2}; {3} from {4} run {5} -> {6}")
    @CsvSource(nullValues = "-", delimiter = '|', value = {
            // instance state | held run | subordinates | observed | from | run | fails the instance
            "RUNNING   | 0 | w2    | ERROR   | w2 | 0 | true",
            "STARTING  | 1 | w2,w3 | ERROR   | w3 | 1 | true",
            "RUNNING   | 0 | w2    | RUNNING | w2 | 0 | false",  // a subordinate reports only failures
            "RUNNING   | 0 | w2    | ERROR   | w9 | 0 | false",  // not one of its subordinates
            "RUNNING   | 2 | w2    | ERROR   | w2 | 1 | false",  // an earlier run's failure
            "ERROR     | 0 | w2    | ERROR   | w2 | 0 | false",  // already failed
            "PENDING   | 0 | w2    | ERROR   | w2 | 0 | false",
            "RUNNING   | 0 | w1    | ERROR   | w1 | 0 | false",  // the main worker's own ERROR takes the usual path
    })
    void aSubordinatesErrorFailsTheCurrentRunOfTheInstance(InstanceState current, int heldRun, String subordinates,
                                                          InstanceState observedState, String from, int run,
                                                          boolean fails) {
        InstanceObserved observed = new InstanceObserved(ID, from, observedState, null,
                observedState == InstanceState.RUNNING ? 40000 : null, null, "rpc server exited", run);
        assertEquals(fails, Observations.isSubordinateError(new Observations.Held("w1", 12L, heldRun),
                java.util.List.of(subordinates.split(",")), current, observed));
    }

    @ParameterizedTest(name = "{0} {1} port {2} -> {3}")
    @CsvSource(nullValues = "-", delimiter = '|', value = {
            "w1 | STARTING    | -     | 0  | -",
            "w1 | RUNNING     | 40000 | 0  | -",
            "w1 | DOWNLOADING | -     | 0  | -",
            "w1 | ERROR       | -     | 2  | -",
            "w1 | RUNNING     | -     | 0  | InstanceObserved in state RUNNING needs a port",
            "w1 | RUNNING     | 0     | 0  | InstanceObserved port must be between 1 and 65535, was 0",
            "w1 | RUNNING     | 65536 | 0  | InstanceObserved port must be between 1 and 65535, was 65536",
            "w1 | SCHEDULED   | -     | 0  | InstanceObserved state must be one of DOWNLOADING, STARTING, RUNNING, ERROR, was SCHEDULED",
            "w1 | UNREACHABLE | -     | 0  | InstanceObserved state must be one of DOWNLOADING, STARTING, RUNNING, ERROR, was UNREACHABLE",
            "w1 | -           | -     | 0  | InstanceObserved state must be one of DOWNLOADING, STARTING, RUNNING, ERROR, was null",
            "-  | RUNNING     | 40000 | 0  | InstanceObserved workerId is missing",
            "w1 | ERROR       | -     | -1 | InstanceObserved restartCount must be >= 0, was -1",
    })
    void checksWhatAnAgentMaySay(String worker, InstanceState state, Integer port, int restartCount,
                                 String expected) {
        assertEquals(expected, Observations.problemWith(
                new InstanceObserved(ID, worker, state, null, port, null, null, restartCount)));
    }

    @ParameterizedTest(name = "{0} / {1} : {2} -> {3}")
    @CsvSource(nullValues = "-", delimiter = '|', value = {
            "10.0.0.7    | node-1 | 40001 | 10.0.0.7:40001",
            "node-1.lan  | node-1 | 40001 | node-1.lan:40001",
            "-           | node-1 | 40001 | node-1:40001",
            "''          | node-1 | 40001 | node-1:40001",
            "fd00::7     | node-1 | 40001 | [fd00::7]:40001",
    })
    void endpointIsTheWorkersAddressAndThePort(String address, String name, int port, String expected) {
        assertEquals(expected, Observations.endpoint(address, name, port));
    }
}
