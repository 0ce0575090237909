package dev.gpufleet.worker.host;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/** This host's name and the address its backends are reachable at, when not configured. */
public final class HostNetwork {
    static final String FALLBACK_ADDRESS = "127.0.0.1";

    private HostNetwork() {
    }

    /** The first IPv4 address that is not loopback, link-local or the wildcard; else 127.0.0.1. */
    public static String pickAddress(List<InetAddress> candidates) {
        for (InetAddress address : candidates) {
            if (address instanceof Inet4Address && !address.isLoopbackAddress() && !address.isLinkLocalAddress()
                    && !address.isAnyLocalAddress()) {
                return address.getHostAddress();
            }
        }
        return FALLBACK_ADDRESS;
    }

    public static String detectAddress() {
        List<InetAddress> candidates = new ArrayList<>();
        try {
            for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (nic.isUp() && !nic.isLoopback()) {
                    candidates.addAll(Collections.list(nic.getInetAddresses()));
                }
            }
        } catch (SocketException e) {
            return FALLBACK_ADDRESS;
        }
        return pickAddress(candidates);
    }

    public static String hostname() {
        return hostname(System.getenv());
    }

    static String hostname(Map<String, String> env) {
        try {
            String name = InetAddress.getLocalHost().getHostName();
            if (name != null && !name.isBlank() && !name.equals("localhost")) {
                return name;
            }
        } catch (java.net.UnknownHostException e) {
            // fall through to the environment: some containers cannot resolve their own name
        }
        for (String variable : List.of("HOSTNAME", "COMPUTERNAME")) {
            String name = env.get(variable);
            if (name != null && !name.isBlank()) {
                return name;
            }
        }
        return "worker";
    }
}
