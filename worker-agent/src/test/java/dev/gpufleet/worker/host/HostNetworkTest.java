package dev.gpufleet.worker.host;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class HostNetworkTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "127.0.0.1 fe80::1 10.0.0.5 192.168.1.2 | 10.0.0.5",
            "2001:db8::1 169.254.3.4 172.17.0.1       | 172.17.0.1",
            "::1 127.0.1.1 0.0.0.0                    | 127.0.0.1",
            "''                                       | 127.0.0.1",
    })
    void firstUsableIpv4(String addresses, String expected) throws UnknownHostException {
        List<InetAddress> candidates = new ArrayList<>();
        for (String address : addresses.trim().split("\\s+")) {
            if (!address.isEmpty()) {
                candidates.add(InetAddress.getByName(address));
            }
        }
        assertEquals(expected, HostNetwork.pickAddress(candidates));
    }
}
