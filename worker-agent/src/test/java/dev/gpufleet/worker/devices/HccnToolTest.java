package dev.gpufleet.worker.devices;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Optional;
import java.util.stream.Stream;

import static dev.gpufleet.worker.devices.RecordedTools.fixture;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HccnToolTest {
    static Stream<Arguments> readable() {
        return Stream.of(
                Arguments.of("recorded layout", fixture("hccn-tool-ip-g.txt"), Optional.of("29.11.36.2")),
                Arguments.of("spaces around the colon", "ipaddr : 192.168.100.101\nnetmask : 255.255.255.0\n",
                        Optional.of("192.168.100.101")),
                Arguments.of("CRLF line ends", "ipaddr:10.30.12.9\r\nnetmask:255.255.255.0\r\n",
                        Optional.of("10.30.12.9")),
                Arguments.of("no address configured", "ipaddr:\nnetmask:\n", Optional.empty()),
                Arguments.of("all zeros", "ipaddr:0.0.0.0\nnetmask:0.0.0.0\n", Optional.empty()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("readable")
    void readsTheIpaddrLine(String description, String output, Optional<String> expected) throws Exception {
        assertEquals(expected, HccnTool.parseIp(0, output));
    }

    static Stream<Arguments> unreadable() {
        return Stream.of(
                Arguments.of("", "hccn_tool -i 3 -ip -g printed no 'ipaddr:' line: ''"),
                Arguments.of("Command execute failed!\n", "hccn_tool -i 3 -ip -g printed no 'ipaddr:' line: "
                        + "'Command execute failed!'"),
                Arguments.of("ipaddr:29.11.36\n", "hccn_tool -i 3 -ip -g: ipaddr '29.11.36' is not an IPv4 address"),
                Arguments.of("ipaddr:29.11.36.256\n", "ipaddr '29.11.36.256' is not an IPv4 address"));
    }

    @ParameterizedTest
    @MethodSource("unreadable")
    void saysWhatItCouldNotRead(String output, String expected) {
        UnreadableOutput problem = assertThrows(UnreadableOutput.class, () -> HccnTool.parseIp(3, output));
        assertTrue(problem.getMessage().contains(expected), problem.getMessage());
    }
}
