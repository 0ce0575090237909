package dev.gpufleet.worker.devices;

import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads an Ascend NPU's device IP, the address of its own RoCE port that HCCL uses between hosts, from
 * {@code hccn_tool -i <device id> -ip -g}, which prints {@code ipaddr:<IPv4>} and {@code netmask:<IPv4>} lines.
 * The device id is the NPU's logical id: its position among this host's NPUs as {@code npu-smi info} lists them.
 */
public final class HccnTool {
    public static final String TOOL = "hccn_tool";
    private static final Pattern IPADDR = Pattern.compile("(?m)^[ \\t]*ipaddr[ \\t]*:[ \\t]*(\\S*)[ \\t\\r]*$");
    private static final Pattern IPV4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");

    private HccnTool() {
    }

    public static List<String> ipQuery(int deviceId) {
        return List.of(TOOL, "-i", String.valueOf(deviceId), "-ip", "-g");
    }

    /** The device IP; empty when the NPU has none configured ({@code 0.0.0.0} or nothing after {@code ipaddr:}). */
    public static Optional<String> parseIp(int deviceId, String output) throws UnreadableOutput {
        Matcher line = IPADDR.matcher(output);
        if (!line.find()) {
            throw new UnreadableOutput(String.join(" ", ipQuery(deviceId)) + " printed no 'ipaddr:' line: '"
                    + firstLine(output) + "'");
        }
        String value = line.group(1);
        if (value.isEmpty() || value.equals("0.0.0.0")) {
            return Optional.empty();
        }
        Matcher ip = IPV4.matcher(value);
        if (!ip.matches() || !octets(ip)) {
            throw new UnreadableOutput(String.join(" ", ipQuery(deviceId)) + ": ipaddr '" + value
                    + "' is not an IPv4 address");
        }
        return Optional.of(value);
    }

    private static boolean octets(Matcher ip) {
        for (int i = 1; i <= 4; i++) {
            if (Integer.parseInt(ip.group(i)) > 255) {
                return false;
            }
        }
        return true;
    }

    private static String firstLine(String output) {
        String stripped = output.strip();
        int end = stripped.indexOf('\n');
        return end < 0 ? stripped : stripped.substring(0, end).strip();
    }
}
