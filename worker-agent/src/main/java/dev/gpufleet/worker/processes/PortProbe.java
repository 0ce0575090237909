package dev.gpufleet.worker.processes;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;

/** Whether a process accepts connections on a port (a Ray head's GCS port, an RPC server's port). */
public final class PortProbe {
    /** Connecting to a closed port on a live host is refused at once; this bounds only an unreachable host. */
    private static final int CONNECT_TIMEOUT_MS = 200;

    private PortProbe() {
    }

    public static boolean accepts(String host, int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), CONNECT_TIMEOUT_MS);
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
