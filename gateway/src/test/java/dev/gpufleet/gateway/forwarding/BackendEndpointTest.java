package dev.gpufleet.gateway.forwarding;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Optional;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

class BackendEndpointTest {

    static Stream<Arguments> endpoints() {
        return Stream.of(
                Arguments.of("10.0.0.7:40001", new BackendEndpoint("10.0.0.7", 40001)),
                Arguments.of("gpu-node-1.local:8080", new BackendEndpoint("gpu-node-1.local", 8080)),
                Arguments.of(" 127.0.0.1:1 ", new BackendEndpoint("127.0.0.1", 1)),
                Arguments.of("[::1]:40000", new BackendEndpoint("::1", 40000)),
                Arguments.of("[fe80::1%eth0]:65535", new BackendEndpoint("fe80::1%eth0", 65535)),
                Arguments.of("::1:40000", null),
                Arguments.of("host", null),
                Arguments.of("host:", null),
                Arguments.of(":8080", null),
                Arguments.of("host:0", null),
                Arguments.of("host:65536", null),
                Arguments.of("host:http", null),
                Arguments.of("http://host:80", null),
                Arguments.of("[]:80", null),
                Arguments.of(null, null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("endpoints")
    void parsesHostAndPort(String endpoint, BackendEndpoint expected) {
        assertEquals(Optional.ofNullable(expected), BackendEndpoint.parse(endpoint));
    }

    /** The Host header each endpoint gets; it parses back to the same endpoint. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("endpoints")
    void theAuthorityIsTheEndpointAsItWasWritten(String endpoint, BackendEndpoint expected) {
        if (expected != null) {
            assertEquals(endpoint.trim(), expected.authority());
            assertEquals(Optional.of(expected), BackendEndpoint.parse(expected.authority()));
        }
    }
}
