package dev.gpufleet.chaos.fleet;

import java.util.ArrayList;
import java.util.List;

/**
 * The fleet's network: a Linux bridge in the root namespace with the host's address on it, and for each worker a
 * network namespace of its own joined to the bridge by a veth pair, with its own address. Processes in the root
 * namespace reach a worker at its address and the worker reaches them at the bridge's; cutting a worker's link sets
 * the bridge side of its veth down (packets vanish, nothing is refused), which is what a pulled cable or a
 * partitioned switch does. Every name starts with {@link #PREFIX}, so a later run can remove what a crashed one left.
 */
public final class Network {
    public static final String PREFIX = "gfchaos";
    static final String BRIDGE = PREFIX + "0";

    /** Where namespaces are not available (not root, no ip): why, for the rows that need them. */
    public record Availability(boolean available, String reason) {
    }

    private final String subnetPrefix;

    private Network(String subnetPrefix) {
        this.subnetPrefix = subnetPrefix;
    }

    /**
     * Whether this machine lets the suite make namespaces: root, and {@code ip} present.
     */
    public static Availability availability() {
        Commands.Result id = Commands.run("id", "-u");
        if (!id.ok() || !id.output().equals("0")) {
            return new Availability(false, "network namespaces need root (running as uid " + id.output() + ")");
        }
        Commands.Result ip = Commands.run("ip", "-V");
        if (!ip.ok()) {
            return new Availability(false, "the ip command (iproute2) is missing: " + ip.output());
        }
        Commands.Result netns = Commands.run("ip", "netns", "list");
        if (!netns.ok()) {
            return new Availability(false, "ip netns does not work here: " + netns.output());
        }
        return new Availability(true, "");
    }

    /**
     * Makes the bridge with {@code <subnetPrefix>.1/24}.
     *
     * @param subnetPrefix three octets, e.g. {@code 10.254.213}
     */
    public static Network create(String subnetPrefix) {
        removeLeftovers();
        Network n = new Network(subnetPrefix);
        Commands.require("ip", "link", "add", BRIDGE, "type", "bridge");
        Commands.require("ip", "addr", "add", n.hostAddress() + "/24", "dev", BRIDGE);
        Commands.require("ip", "link", "set", BRIDGE, "up");
        return n;
    }

    /** The root namespace's address on the bridge: where Kafka listens for the workers. */
    public String hostAddress() {
        return subnetPrefix + ".1";
    }

    /** Worker {@code n} (from 1) at {@code <prefix>.<10 + n>} in namespace {@code gfchaos-w<n>}. */
    public String addWorker(int n) {
        String ns = namespace(n);
        String hostSide = ns + "h";
        String nsSide = ns + "n";
        String address = workerAddress(n);
        Commands.require("ip", "netns", "add", ns);
        Commands.require("ip", "link", "add", hostSide, "type", "veth", "peer", "name", nsSide);
        Commands.require("ip", "link", "set", hostSide, "master", BRIDGE);
        Commands.require("ip", "link", "set", hostSide, "up");
        Commands.require("ip", "link", "set", nsSide, "netns", ns);
        Commands.require("ip", "-n", ns, "link", "set", nsSide, "name", "eth0");
        Commands.require("ip", "-n", ns, "addr", "add", address + "/24", "dev", "eth0");
        Commands.require("ip", "-n", ns, "link", "set", "eth0", "up");
        Commands.require("ip", "-n", ns, "link", "set", "lo", "up");
        Commands.require("ip", "-n", ns, "route", "add", "default", "via", hostAddress());
        return address;
    }

    public String workerAddress(int n) {
        return subnetPrefix + "." + (10 + n);
    }

    public static String namespace(int n) {
        return PREFIX + "-w" + n;
    }

    /** The command prefix that runs a program inside worker {@code n}'s namespace. */
    public static List<String> inNamespace(int n) {
        return List.of("ip", "netns", "exec", namespace(n));
    }

    /** Cuts worker {@code n} off: nothing passes its link until {@link #restore}. */
    public void cut(int n) {
        Commands.require("ip", "link", "set", namespace(n) + "h", "down");
    }

    public void restore(int n) {
        Commands.require("ip", "link", "set", namespace(n) + "h", "up");
    }

    /** Removes the namespaces (killing what still runs in them) and the bridge. */
    public void close() {
        removeLeftovers();
    }

    /** Everything named with the prefix: processes in those namespaces are killed first. */
    public static List<String> removeLeftovers() {
        List<String> removed = new ArrayList<>();
        Commands.Result list = Commands.run("ip", "netns", "list");
        if (list.ok()) {
            for (String line : Commands.lines(list.output())) {
                String ns = line.split("\\s+")[0];
                if (!ns.startsWith(PREFIX + "-")) {
                    continue;
                }
                Commands.Result pids = Commands.run("ip", "netns", "pids", ns);
                for (String pid : Commands.lines(pids.output())) {
                    if (pid.trim().matches("\\d+")) {
                        Signals.send("KILL", Long.parseLong(pid.trim()));
                    }
                }
                Commands.run("ip", "netns", "del", ns);
                removed.add("namespace " + ns);
            }
        }
        if (Commands.run("ip", "link", "show", BRIDGE).ok()) {
            Commands.run("ip", "link", "del", BRIDGE);
            removed.add("bridge " + BRIDGE);
        }
        return removed;
    }
}
