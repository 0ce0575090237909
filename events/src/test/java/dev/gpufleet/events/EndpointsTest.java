package dev.gpufleet.events;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

class EndpointsTest {
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "IPv4|10.0.0.7|8080|10.0.0.7:8080",
            "host name|gpu-host-1.lan|8080|gpu-host-1.lan:8080",
            "IPv6|fd00::7|8080|[fd00::7]:8080",
            "IPv6 loopback|::1|40000|[::1]:40000",
            "IPv6 with a zone|fe80::1%eth0|6379|[fe80::1%eth0]:6379",
            "already in brackets|[fd00::7]|8080|[fd00::7]:8080"})
    void anIpv6HostGoesInBracketsOnce(String what, String host, int port, String expected) {
        assertEquals(expected, Endpoints.hostPort(host, port), what);
    }
}
