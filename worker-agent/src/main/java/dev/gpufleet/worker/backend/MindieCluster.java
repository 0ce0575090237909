package dev.gpufleet.worker.backend;

import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.SubordinateWorker;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The nodes of a MindIE instance across workers, as its InstanceChanged describes them: the main worker first, then
 * each subordinate in the event's order, each with its address and the device IP of every NPU it holds. Every node
 * writes the same rank table from this (ranks count in this order) and runs MindIE on its own NPUs. Pure.
 *
 * <p>A device id in the rank table is the NPU's GPU index on its worker, which is its logical id on a host whose
 * only accelerators are NPUs (Ascend servers); {@code hccn_tool -i} and MindIE's {@code npuDeviceIds} count the same
 * way.
 *
 * @param servers   the rank table's servers; empty when {@code problem} is set
 * @param worldSize NPUs over all nodes ({@code WORLD_SIZE})
 * @param problem   why the rank table cannot be written, or null
 */
public record MindieCluster(List<MindieConfig.RankServer> servers, int worldSize, String problem) {

    public static MindieCluster of(InstanceChanged instance) {
        List<String> unknownAddresses = new ArrayList<>();
        List<String> withoutIp = new ArrayList<>();
        List<MindieConfig.RankServer> servers = new ArrayList<>();
        String main = "main worker " + name(instance);
        servers.add(server(main, instance.workerAddress(), instance.gpuIndexes(), instance.deviceIps(),
                unknownAddresses, withoutIp));
        for (SubordinateWorker sub : instance.subordinateWorkers()) {
            servers.add(server("worker " + sub.workerId(), sub.address(), sub.gpuIndexes(), sub.deviceIps(),
                    unknownAddresses, withoutIp));
        }
        List<String> problems = new ArrayList<>();
        if (!unknownAddresses.isEmpty()) {
            problems.add("the address of " + String.join(", ", unknownAddresses) + " is unknown (the instance's "
                    + "InstanceChanged carries none: a scheduler older than those fields, or a heartbeat that gave no "
                    + "address when the instance was placed)");
        }
        if (!withoutIp.isEmpty()) {
            problems.add(String.join(", ", withoutIp) + (withoutIp.size() == 1 ? " has" : " have")
                    + " no device IP: each worker reports its NPUs' device IPs from hccn_tool -i <n> -ip -g (found on "
                    + "gpufleet.worker.device-tool-path) in its heartbeat, and the scheduler copies those it knew "
                    + "when it placed the instance; give the NPUs RoCE addresses (hccn_tool -i <n> -ip -s address "
                    + "<ip> netmask <mask>), then delete the instance so that it is placed again");
        }
        if (!problems.isEmpty()) {
            return new MindieCluster(List.of(), 0, "MindIE across workers needs a rank table listing every NPU's "
                    + "device IP on every worker: " + String.join("; ", problems));
        }
        int worldSize = servers.stream().mapToInt(s -> s.devices().size()).sum();
        return new MindieCluster(List.copyOf(servers), worldSize, null);
    }

    /** The rank table's JSON ({@link MindieConfig#rankTable}). */
    public String rankTable() {
        return MindieConfig.rankTable(servers);
    }

    private static MindieConfig.RankServer server(String who, String address, List<Integer> gpus,
                                                  Map<Integer, String> deviceIps, List<String> unknownAddresses,
                                                  List<String> withoutIp) {
        if (address == null || address.isBlank()) {
            unknownAddresses.add(who);
        }
        List<MindieConfig.RankDevice> devices = new ArrayList<>();
        for (int gpu : gpus) {
            String ip = deviceIps.get(gpu);
            if (ip == null) {
                withoutIp.add("NPU " + gpu + " of " + who);
            }
            devices.add(new MindieConfig.RankDevice(gpu, ip));
        }
        return new MindieConfig.RankServer(address, devices);
    }

    private static String name(InstanceChanged instance) {
        return instance.workerName() != null ? instance.workerName() + " (" + instance.workerId() + ")"
                : String.valueOf(instance.workerId());
    }
}
