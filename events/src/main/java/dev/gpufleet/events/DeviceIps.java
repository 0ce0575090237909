package dev.gpufleet.events;

import java.util.Map;
import java.util.TreeMap;

/** Device IPs by GPU index as events carry them: entries without an index or an address are dropped. */
final class DeviceIps {
    private DeviceIps() {
    }

    static Map<Integer, String> copy(Map<Integer, String> deviceIps) {
        if (deviceIps == null || deviceIps.isEmpty()) {
            return Map.of();
        }
        Map<Integer, String> known = new TreeMap<>();
        deviceIps.forEach((index, ip) -> {
            if (index != null && ip != null && !ip.isBlank()) {
                known.put(index, ip);
            }
        });
        return java.util.Collections.unmodifiableMap(known);
    }
}
