package dev.gpufleet.worker.backend;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/** Whether something already listens on a port of this host, found by trying to bind it as a backend would. */
public final class LocalPorts {
    private LocalPorts() {
    }

    public static boolean inUse(String backendHost, int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(wildcard(backendHost) ? new InetSocketAddress(port)
                    : new InetSocketAddress(backendHost, port));
            return false;
        } catch (IOException | IllegalArgumentException | SecurityException e) {
            return true;
        }
    }

    /**
     * A port free on 127.0.0.1 now, chosen by the operating system from its ephemeral range (outside
     * gpufleet.worker.port-range: nothing but this host reaches it), for a backend behind the agent's proxy.
     */
    public static java.util.OptionalInt freeLoopbackPort() {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress("127.0.0.1", 0));
            return java.util.OptionalInt.of(socket.getLocalPort());
        } catch (IOException | SecurityException e) {
            return java.util.OptionalInt.empty();
        }
    }

    private static boolean wildcard(String host) {
        return host == null || host.isBlank() || host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]");
    }
}
