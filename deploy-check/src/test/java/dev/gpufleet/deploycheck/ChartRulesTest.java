package dev.gpufleet.deploycheck;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each rule catches its violation, on a gateway Deployment that passes them all but for the one change. */
class ChartRulesTest {
    static final String GATEWAY = """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: gateway, namespace: gpufleet}
            spec:
              minReadySeconds: 10
              template:
                metadata: {annotations: {}}
                spec:
                  terminationGracePeriodSeconds: 625
                  containers:
                    - name: gateway
                      image: registry.example.com/gpufleet/gateway:1.0.0
                      env: [{name: QUARKUS_SHUTDOWN_TIMEOUT, value: 600s}]
                      lifecycle: {preStop: {sleep: {seconds: 10}}}
                      startupProbe: {httpGet: {path: /q/health/started, port: http}}
                      livenessProbe: {httpGet: {path: /q/health/live, port: http}}
                      readinessProbe: {httpGet: {path: /q/health/ready, port: http}}
                      resources: {limits: {memory: 1Gi}}
                      securityContext: {readOnlyRootFilesystem: true}
            """;

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "no change|                                               |                  |",
            ":latest|gateway:1.0.0                                    |gateway:latest    |uses :latest",
            "no tag|gateway:1.0.0                                     |gateway           |has no tag",
            "writable root|readOnlyRootFilesystem: true                |readOnlyRootFilesystem: false|readOnlyRootFilesystem",
            "no limit|limits: {memory: 1Gi}                           |requests: {memory: 1Gi}|resources.limits.memory",
            "probe elsewhere|/q/health/live                           |/healthz          |livenessProbe must be an httpGet on /q/health/live",
            "no minReadySeconds|minReadySeconds: 10                   |minReadySeconds: 0|minReadySeconds",
            "no preStop|lifecycle: {preStop: {sleep: {seconds: 10}}}  |lifecycle: {}     |preStop sleep",
            "grace too short|terminationGracePeriodSeconds: 625        |terminationGracePeriodSeconds: 30|streams would be killed",
            "no shutdown timeout|value: 600s                          |value: ''         |QUARKUS_SHUTDOWN_TIMEOUT",
    })
    void eachRuleCatchesItsViolation(String name, String from, String to, String expected) {
        String yaml = from == null ? GATEWAY : GATEWAY.replace(from.strip(), to.strip());
        List<String> problems = ChartRules.problems(List.of(parse(yaml)));
        if (expected == null) {
            assertEquals(List.of(), problems);
        } else {
            assertEquals(1, problems.size(), problems.toString());
            assertTrue(problems.get(0).contains(expected), problems.toString());
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "'gateway: backends run as its child processes'|0",
            "'gateway'|1",
            "'worker-agent: backends run as its child processes'|1",
    })
    void onlyANamedContainerWithAReasonMayGoWithoutLimits(String annotation, int expectedProblems) {
        String yaml = GATEWAY.replace("limits: {memory: 1Gi}", "requests: {memory: 1Gi}")
                .replace("annotations: {}", "annotations: {\"" + ChartRules.UNLIMITED + "\": \"" + annotation + "\"}");
        assertEquals(expectedProblems, ChartRules.problems(List.of(parse(yaml))).size());
    }

    @ParameterizedTest
    @CsvSource({"Q0hBTkdFLU1FLXRva2Vu,1", "cGFzc3dvcmQ=,1", "N2Y5YzJlNGI4YTFkNmUzZjBjNWI5YTJlNGQ3ZjFjOGI=,0"})
    void secretsWithPlaceholdersFail(String base64, int expectedProblems) {
        ObjectNode secret = parse("{apiVersion: v1, kind: Secret, metadata: {name: s}, data: {token: '" + base64
                + "'}}");
        assertEquals(expectedProblems, ChartRules.problems(List.of(secret)).size());
    }

    private static ObjectNode parse(String yaml) {
        return HelmChart.parse(yaml).get(0);
    }
}
